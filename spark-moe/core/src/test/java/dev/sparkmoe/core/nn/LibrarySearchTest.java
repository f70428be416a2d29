package dev.sparkmoe.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader's search order, on folders of fake libraries. */
class LibrarySearchTest {
  private static final String NAME = "libblas.so.3";
  @TempDir Path dir;

  @Test
  void ldLibraryPathComesBeforeTheCacheAndTheDefaults() throws IOException {
    Path first = library("env");
    Path cached = library("cached");
    Path fallback = library("default");
    String searchPath = dir.resolve("missing") + "::" + first.getParent();
    assertThat(LibrarySearch.find(NAME, searchPath, List.of(cached), List.of(fallback.getParent())))
        .contains(first.toRealPath());
    assertThat(LibrarySearch.find(NAME, null, List.of(cached), List.of(fallback.getParent())))
        .contains(cached.toRealPath());
    assertThat(LibrarySearch.find(NAME, "", List.of(), List.of(fallback.getParent())))
        .contains(fallback.toRealPath());
  }

  @Test
  void followsLinksToTheRealFile() throws IOException {
    Path real = library("openblas-pthread");
    Path links = Files.createDirectories(dir.resolve("lib"));
    Files.createSymbolicLink(links.resolve(NAME), real);
    assertThat(LibrarySearch.find(NAME, null, List.of(), List.of(links)))
        .contains(real.toRealPath());
  }

  @Test
  void aDanglingLinkIsNoLibrary() throws IOException {
    Path hidden = library("hidden");
    Path links = Files.createDirectories(dir.resolve("lib"));
    Files.createSymbolicLink(links.resolve(NAME), hidden);
    Files.delete(hidden);
    assertThat(
            LibrarySearch.find(
                NAME, links.toString(), List.of(links.resolve(NAME)), List.of(links)))
        .as("an uninstalled or bind-mounted-away OpenBLAS leaves the alternatives link dangling")
        .isEmpty();
  }

  @Test
  void otherNamesInTheCacheDoNotMatch() throws IOException {
    Path other = Files.createDirectories(dir.resolve("x")).resolve("libblas.so.3.10");
    Files.writeString(other, "elf");
    assertThat(LibrarySearch.find(NAME, null, List.of(other), List.of())).isEmpty();
  }

  @Test
  void cacheEntriesAreTheAbsolutePathsAmongItsStrings() throws IOException {
    Path cache = dir.resolve("ld.so.cache");
    String content =
        "glibc-ld.so.cache1.1\0libblas.so.3\0/usr/lib/x86_64-linux-gnu/libblas.so.3\0/\0"
            + "libm.so.6\0/lib/x86_64-linux-gnu/libm.so.6";
    Files.write(cache, content.getBytes(StandardCharsets.ISO_8859_1));
    assertThat(LibrarySearch.cacheEntries(cache))
        .containsExactly(
            Path.of("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
            Path.of("/lib/x86_64-linux-gnu/libm.so.6"));
    assertThat(LibrarySearch.cacheEntries(dir.resolve("absent"))).isEmpty();
  }

  private Path library(String folder) throws IOException {
    Path library = Files.createDirectories(dir.resolve(folder)).resolve(NAME);
    Files.writeString(library, "not really ELF");
    return library;
  }
}
