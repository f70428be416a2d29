package dev.sparkmoe.core.model;

import dev.sparkmoe.core.IoErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What tells one version of a model directory from another without reading its data: the directory
 * and, for {@code config.json}, the checkpoint index and every {@code *.safetensors} file in it,
 * the file's name, size, modification time and file key (the inode where the file system has one).
 * A model rewritten or replaced at the same path gets a new fingerprint, unless every file keeps
 * its size, its inode and its modification time to the file system's resolution.
 *
 * @param directory the model directory, as given
 * @param files the files that make up the model, by name; empty when the directory does not exist
 */
public record ModelFingerprint(Path directory, List<FileStamp> files) {
  private static final String CONFIG = "config.json";
  private static final String INDEX = "model.safetensors.index.json";
  private static final String SHARD_SUFFIX = ".safetensors";

  /**
   * One file of a model.
   *
   * @param name the file name, inside the model directory
   * @param sizeBytes the file's size
   * @param modifiedNanos the last modification time, in nanoseconds since the epoch
   * @param fileKey the file system's key for the file (e.g. device and inode), or null where it has
   *     none
   */
  public record FileStamp(String name, long sizeBytes, long modifiedNanos, String fileKey) {}

  public ModelFingerprint {
    files = List.copyOf(files);
  }

  /**
   * The fingerprint of {@code directory} as it is now. A directory that does not exist has no files
   * (opening it reports what is missing).
   *
   * @throws UncheckedIOException if the directory cannot be listed or a file's attributes read
   */
  public static ModelFingerprint of(Path directory) {
    if (!Files.isDirectory(directory)) {
      return new ModelFingerprint(directory, List.of());
    }
    List<FileStamp> files = new ArrayList<>();
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(directory, ModelFingerprint::isPart)) {
      for (Path file : entries) {
        files.add(stamp(file));
      }
    } catch (IOException e) {
      throw IoErrors.cannot("fingerprint model " + directory, e);
    }
    files.sort(Comparator.comparing(FileStamp::name));
    return new ModelFingerprint(directory, files);
  }

  private static boolean isPart(Path file) {
    String name = file.getFileName().toString();
    return name.equals(CONFIG) || name.equals(INDEX) || name.endsWith(SHARD_SUFFIX);
  }

  private static FileStamp stamp(Path file) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    Object key = attributes.fileKey();
    return new FileStamp(
        file.getFileName().toString(),
        attributes.size(),
        attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS),
        key == null ? null : key.toString());
  }
}
