package org.browseros.ipc.main.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.browseros.ipc.main.inspector.InspectorServer;
import org.browseros.ipc.main.ipc.IpcMain;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.renderer.IpcRenderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The inspector in a real browser: headless Chromium (Debian's chromium and chromium-driver) on the
 * inspector of a real main process, while a console client sends traffic. Skipped, with the reason,
 * where Chromium is not installed.
 */
@ExtendWith(LogCapturingExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InspectorBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final String SCRIPT_TITLE = "<script>alert(1)</script>";

  @TempDir
  Path dataDir;

  @Test
  void shouldShowLiveTrafficFilterItAndRenderHostileTitlesAsText() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Headless Chromium is not installed (apt-get install -y chromium chromium-driver): browser test skipped");
    try (MainFixture main = MainFixture.start(dataDir, 0, new IpcMain(Duration.ofSeconds(5)))) {
      InspectorServer inspector = main.node().inspector().orElseThrow();
      assertEquals(inspector.url(), Files.readString(dataDir.resolve(InspectorServer.URL_FILE)).strip());
      String base = "http://127.0.0.1:" + inspector.port();

      // Without the token: refused, in the browser's HTTP client and in ours.
      HttpClient http = HttpClient.newHttpClient();
      assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(base + "/api/feed")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());

      IpcRenderer console = main.console();
      ChromeDriver driver = startChromium();
      try {
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
        driver.get(base + "/");
        assertTrue(driver.getPageSource().contains("needs its token"), driver.getPageSource());

        driver.get(inspector.url());
        // The token was traded for a cookie and dropped from the address bar.
        wait.until(d -> d.getCurrentUrl().equals(base + "/"));
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("live"));

        String windowId = MainFixture.await(console.invoke("window:create",
            PayloadCodec.parseJson("{\"title\":\"Inspector\"}"))).get("windowId").asText();
        String tabId = MainFixture.await(console.invoke("tab:create",
            PayloadCodec.parseJson("{\"windowId\":\"" + windowId + "\",\"url\":\"https://example.org\"}"))).get("tabId").asText();
        MainFixture.await(console.invoke("tab:update", PayloadCodec.json().createObjectNode()
            .put("tabId", tabId).put("title", SCRIPT_TITLE)));

        wait.until(d -> channels(d).containsAll(List.of("window:create", "tab:create", "tab:update", "state:sync")));
        // The hostile title arrived in a payload preview as text.
        WebElement update = driver.findElements(By.cssSelector("#messages tbody tr.dir-in")).stream()
            .filter(r -> "tab:update".equals(r.getDomAttribute("data-channel"))).findFirst().orElseThrow();
        update.click();
        wait.until(d -> d.findElement(By.id("detail")).getText().contains(SCRIPT_TITLE));
        // The request with its reply and the reply's latency.
        wait.until(d -> d.findElement(By.id("detail")).getText().contains("Reply #"));
        assertTrue(driver.findElement(By.id("detail")).getText().contains("latency"), driver.findElement(By.id("detail")).getText());
        screenshot(driver);

        // A channel filter hides the other channels.
        driver.findElement(By.id("filter-channel")).sendKeys("tab:*");
        driver.findElement(By.id("apply-filter")).click();
        wait.until(d -> d.findElement(By.id("status")).getText().contains("channel=tab"));
        wait.until(d -> !channels(d).isEmpty());
        long updatesBefore = channels(driver).stream().filter("tab:update"::equals).count();
        // Sent in this order on one connection, so the window's message would show before the tab's.
        MainFixture.await(console.invoke("window:create", PayloadCodec.parseJson("{\"title\":\"Hidden\"}")));
        MainFixture.await(console.invoke("tab:update", PayloadCodec.json().createObjectNode()
            .put("tabId", tabId).put("title", "after filter")));
        wait.until(d -> channels(d).stream().filter("tab:update"::equals).count() > updatesBefore);
        List<String> shown = channels(driver);
        assertFalse(shown.isEmpty());
        assertTrue(shown.stream().allMatch(c -> c.startsWith("tab:")), "Only tab:* after the filter: " + shown);

        // The state tree shows the tab's title as text; no script ran, none was added.
        driver.findElement(By.cssSelector("nav button[data-pane=state]")).click();
        wait.until(d -> d.findElement(By.id("state-tree")).getText().contains("after filter")
            || d.findElement(By.id("state-tree")).getText().contains(SCRIPT_TITLE));
        assertNoAlert(driver);
        assertEquals(1L, ((JavascriptExecutor) driver).executeScript("return document.scripts.length"));

        // Profiler: the invoked channels with their latency figures.
        driver.findElement(By.cssSelector("nav button[data-pane=profiler]")).click();
        wait.until(d -> d.findElement(By.id("stats")).getText().contains("tab:create"));
        assertFalse(driver.findElements(By.cssSelector("#chart rect")).isEmpty());
      } finally {
        driver.quit();
      }
    }
  }

  private static List<String> channels(org.openqa.selenium.WebDriver driver) {
    return driver.findElements(By.cssSelector("#messages tbody tr")).stream()
        .map(r -> r.getDomAttribute("data-channel")).toList();
  }

  private static void assertNoAlert(ChromeDriver driver) {
    try {
      driver.switchTo().alert();
      throw new AssertionError("An alert opened: a payload ran as script");
    } catch (NoAlertPresentException expected) {
      // the title stayed text
    }
  }

  private static void screenshot(ChromeDriver driver) throws Exception {
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Path target = Path.of("target", "inspector.png");
    Files.createDirectories(target.getParent());
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
  }

  private static ChromeDriver startChromium() {
    // A driver and a browser given explicitly: Selenium Manager has nothing to look up or download.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
        "--window-size=1400,900");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    return new ChromeDriver(service, options);
  }
}
