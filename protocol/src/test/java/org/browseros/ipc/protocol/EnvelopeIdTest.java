package org.browseros.ipc.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class EnvelopeIdTest {
  private static final Pattern ID = Pattern.compile(Limits.ID_PATTERN);

  @Test
  void shouldMakeIdsThatPassTheIdChecks() {
    for (int i = 0; i < 100_000; i++) {
      String id = Envelope.newId();
      assertTrue(ID.matcher(id).matches(), id);
      assertTrue(!id.isEmpty() && id.length() <= 64, id);
    }
  }

  @Test
  void shouldShareOneRandomPrefixAndCountInHex() {
    String a = Envelope.newId();
    String b = Envelope.newId();
    String prefix = a.substring(0, a.indexOf('-') + 1);
    assertEquals(17, prefix.length(), a);
    assertTrue(b.startsWith(prefix), b);
    assertTrue(Long.parseLong(b.substring(17), 16) > Long.parseLong(a.substring(17), 16), a + " then " + b);
  }

  @Test
  void shouldNeverRepeatAnIdAcrossThreads() throws Exception {
    Set<String> ids = ConcurrentHashMap.newKeySet();
    int threads = 4;
    int each = 50_000;
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          ids.add(Envelope.newId());
        }
        done.countDown();
      });
      thread.start();
    }
    done.await();
    assertEquals(threads * each, ids.size());
    Set<String> replies = new HashSet<>();
    Envelope request = Envelope.command("app:echo", new byte[0]);
    for (int i = 0; i < 1000; i++) {
      replies.add(request.reply(new byte[0]).id());
    }
    assertEquals(1000, replies.size());
  }
}
