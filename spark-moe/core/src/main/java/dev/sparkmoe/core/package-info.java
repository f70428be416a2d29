/** spark-moe core: the model contract and the math, free of Spark and JCuda. */
package dev.sparkmoe.core;
