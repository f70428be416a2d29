/**
 * Load balancing of the expert-parallel pipeline, engine-agnostic: routing statistics measured on a
 * sample ({@link dev.sparkmoe.core.balance.RoutingStats}, {@link
 * dev.sparkmoe.core.balance.RoutingSampler}), hot-expert replicas planned from them ({@link
 * dev.sparkmoe.core.balance.ReplicaPlanner}, {@link dev.sparkmoe.core.balance.HotExpertReplicas}),
 * tensor-parallel shards sized to a slot's memory ({@link dev.sparkmoe.core.balance.ExpertShards})
 * and expert capacity ({@link dev.sparkmoe.core.balance.Capacity}).
 */
package dev.sparkmoe.core.balance;
