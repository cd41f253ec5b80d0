package org.browseros.ipc.main.gateway;

/**
 * What a {@link Connection} needs so that its renderer can resume after a lost connection: the
 * resume token its Welcome carries, this main's instance id, and the renderer's request log.
 *
 * @param resumeToken the renderer's next secret, or null (consoles, test doubles)
 * @param mainInstanceId random per main start
 * @param requests shared by the renderer's successive connections
 */
public record Resumption(String resumeToken, String mainInstanceId, RequestLog requests) {
  /** No resume: a request log of its own, no token. */
  public static Resumption none() {
    return new Resumption(null, null, new RequestLog());
  }

  @Override
  public String toString() {
    return "Resumption[resumeToken=" + (resumeToken == null ? "null" : "<redacted>")
        + ", mainInstanceId=" + mainInstanceId + "]";
  }
}
