package org.browseros.ipc.main.monitor;

import java.util.regex.Pattern;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;

/**
 * A channel pattern: {@code *} matches any run of characters (including {@code :}), {@code ?} one
 * character, anything else itself. {@code tab:*} matches {@code tab:create}; {@code *} matches all.
 */
public final class ChannelGlob {
  private static final int MAX_LENGTH = 200;

  private final String glob;
  private final Pattern pattern;

  private ChannelGlob(String glob, Pattern pattern) {
    this.glob = glob;
    this.pattern = pattern;
  }

  public static ChannelGlob of(String glob) {
    if (glob == null || glob.isBlank()) {
      throw new IpcException(ErrorCode.VALIDATION, "A channel pattern must not be empty");
    }
    if (glob.length() > MAX_LENGTH) {
      throw new IpcException(ErrorCode.VALIDATION, "A channel pattern is at most " + MAX_LENGTH + " characters");
    }
    StringBuilder regex = new StringBuilder();
    for (char c : glob.strip().toCharArray()) {
      if (c == '*') {
        regex.append(".*");
      } else if (c == '?') {
        regex.append('.');
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return new ChannelGlob(glob.strip(), Pattern.compile(regex.toString()));
  }

  public boolean matches(String channel) {
    return channel != null && pattern.matcher(channel).matches();
  }

  @Override
  public String toString() {
    return glob;
  }
}
