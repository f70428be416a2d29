package dev.sparkmoe.spark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmoe.spark.SparkTestSession;
import dev.sparkmoe.spark.pipeline.RunReport;
import dev.sparkmoe.spark.report.HtmlReport;
import dev.sparkmoe.spark.report.RunReports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportFilesTest {
  private static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start("report-files");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void reportsGoBesideTheOutputFolder() {
    assertThat(ReportFiles.path("/data/out.parquet/")).isEqualTo("/data/out.parquet.report.json");
    assertThat(ReportFiles.htmlPath("/data/out.parquet"))
        .isEqualTo("/data/out.parquet.report.html");
  }

  @Test
  void writesTheJsonReportAndItsPage() throws Exception {
    RunReport report = RunReports.random(new Random(), 2, 8, 2, false);
    String output = dir.resolve("scores.parquet").toString();

    String written = ReportFiles.write(spark, output + "/", report);

    assertThat(written).isEqualTo(output + ".report.json and " + output + ".report.html");

    JsonNode json = new ObjectMapper().readTree(Path.of(output + ".report.json").toFile());
    assertThat(json.get("tokens").asLong()).isEqualTo(report.tokens());
    assertThat(json.get("layers")).hasSize(2);
    String html = Files.readString(Path.of(output + ".report.html"));
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<h2>Throughput over the run</h2>");
    assertThat(html.split("<img ", -1)).hasSize(1 + 5);
  }

  @Test
  void aPageThatCannotBeDrawnLeavesTheJsonReport() throws Exception {
    RunReport report = RunReports.random(new Random(), 2, 8, 2, false);
    String output = dir.resolve("failed-page.parquet").toString();
    CompletableFuture<String> page =
        CompletableFuture.failedFuture(new IllegalStateException("no fonts"));

    String written = ReportFiles.write(spark, output, report, page);

    assertThat(written).as("the JSON only").isEqualTo(output + ".report.json");
    assertThat(Path.of(output + ".report.json")).exists();
    assertThat(Path.of(output + ".report.html")).doesNotExist();
  }

  @Test
  void drawsTheReportsPage() {
    RunReport report = RunReports.random(new Random(), 2, 8, 2, false);

    String page = ReportFiles.draw(report).join();

    assertThat(page).isEqualTo(HtmlReport.render(report));
    assertThat(page).contains("<td>expert load</td>");
  }
}
