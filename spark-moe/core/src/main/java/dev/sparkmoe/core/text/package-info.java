/**
 * Text in and text out: a Hugging Face {@code tokenizer.json} turns text into token ids and ids
 * back into text ({@link dev.sparkmoe.core.text.TextTokenizer}), through the Rust {@code
 * tokenizers} library that DJL binds (its linux-x86_64 native library travels inside its jar).
 */
package dev.sparkmoe.core.text;
