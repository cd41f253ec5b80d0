package org.browseros.ipc.main.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.browseros.ipc.protocol.system.PowerState;

/**
 * Reads the power state from a Linux {@code /sys/class/power_supply} directory: a {@code Mains}
 * (or USB) supply that is {@code online} means AC; a {@code Battery} gives its {@code capacity} and
 * {@code status}. Peripheral batteries ({@code scope} = Device) are ignored. Anything unreadable
 * counts as absent; with nothing readable the state is unknown.
 */
public final class PowerSupply {
  public static final PowerState UNKNOWN = new PowerState("unknown", null, "unknown");

  private PowerSupply() {}

  public static PowerState read(Path root) {
    List<Path> supplies;
    try (Stream<Path> entries = Files.list(root)) {
      supplies = entries.sorted().toList();
    } catch (IOException | RuntimeException e) {
      return UNKNOWN;
    }
    boolean acOnline = false;
    boolean sawExternal = false;
    Integer percent = null;
    String batteryState = null;
    for (Path supply : supplies) {
      String type = readLine(supply.resolve("type"));
      if (type == null) {
        continue;
      }
      if (type.equals("Mains") || type.startsWith("USB")) {
        String online = readLine(supply.resolve("online"));
        if (online != null) {
          sawExternal = true;
          acOnline |= online.equals("1");
        }
      } else if (type.equals("Battery") && batteryState == null && !"Device".equals(readLine(supply.resolve("scope")))) {
        String status = readLine(supply.resolve("status"));
        Integer capacity = readPercent(supply.resolve("capacity"));
        if (status != null || capacity != null) {
          percent = capacity;
          batteryState = status == null ? "unknown" : status.toLowerCase(Locale.ROOT).replace(' ', '-');
        }
      }
    }
    if (batteryState == null && !sawExternal) {
      return UNKNOWN;
    }
    String source = acOnline ? "ac" : batteryState != null ? "battery" : "unknown";
    return new PowerState(source, percent, batteryState == null ? "unknown" : batteryState);
  }

  private static Integer readPercent(Path file) {
    String value = readLine(file);
    if (value == null) {
      return null;
    }
    try {
      return Math.max(0, Math.min(100, Integer.parseInt(value)));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String readLine(Path file) {
    try {
      if (!Files.isRegularFile(file) || Files.size(file) > 4096) {
        return null;
      }
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? null : text;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
