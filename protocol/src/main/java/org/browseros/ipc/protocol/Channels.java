package org.browseros.ipc.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.navigation.NavigateBack;
import org.browseros.ipc.protocol.navigation.NavigateForward;
import org.browseros.ipc.protocol.renderers.RendererList;
import org.browseros.ipc.protocol.renderers.RenderersQuery;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.state.StateResync;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.system.PowerState;
import org.browseros.ipc.protocol.system.PowerStateQuery;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabDelete;
import org.browseros.ipc.protocol.tab.TabDeleted;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.WindowClose;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowUpdate;

/** The built-in channels. Applications add their own with {@link Channel#invoke} and friends. */
public final class Channels {
  private Channels() {}

  public static final Channel<WindowCreate, WindowInfo> WINDOW_CREATE =
      Channel.invoke("window:create", WindowCreate.class, WindowInfo.class);
  public static final Channel<WindowClose, WindowClosed> WINDOW_CLOSE =
      Channel.invoke("window:close", WindowClose.class, WindowClosed.class);
  public static final Channel<WindowUpdate, WindowInfo> WINDOW_UPDATE =
      Channel.invoke("window:update", WindowUpdate.class, WindowInfo.class);

  public static final Channel<TabCreate, TabInfo> TAB_CREATE =
      Channel.invoke("tab:create", TabCreate.class, TabInfo.class);
  public static final Channel<TabUpdate, TabInfo> TAB_UPDATE =
      Channel.invoke("tab:update", TabUpdate.class, TabInfo.class);
  public static final Channel<TabDelete, TabDeleted> TAB_DELETE =
      Channel.invoke("tab:delete", TabDelete.class, TabDeleted.class);

  public static final Channel<Navigate, TabInfo> NAVIGATE =
      Channel.invoke("navigate", Navigate.class, TabInfo.class);
  public static final Channel<NavigateBack, TabInfo> NAVIGATE_BACK =
      Channel.invoke("navigate:back", NavigateBack.class, TabInfo.class);
  public static final Channel<NavigateForward, TabInfo> NAVIGATE_FORWARD =
      Channel.invoke("navigate:forward", NavigateForward.class, TabInfo.class);

  public static final Channel<SettingsUpdate, Setting> SETTINGS_UPDATE =
      Channel.invoke("settings:update", SettingsUpdate.class, Setting.class);
  public static final Channel<SettingsGet, SettingsView> SETTINGS_GET =
      Channel.invoke("settings:get", SettingsGet.class, SettingsView.class).idempotent();

  public static final Channel<SystemEvent, Void> SYSTEM_EVENT =
      Channel.broadcast("system:event", SystemEvent.class);
  public static final Channel<PowerStateQuery, PowerState> POWER_STATE =
      Channel.invoke("power:state", PowerStateQuery.class, PowerState.class).idempotent();

  public static final Channel<StateSync, Void> STATE_SYNC =
      Channel.mainToRenderer("state:sync", StateSync.class);
  public static final Channel<StateResync, Void> STATE_RESYNC =
      Channel.rendererToMain("state:resync", StateResync.class);

  public static final Channel<RenderersQuery, RendererList> RENDERERS_LIST =
      Channel.invoke("renderers:list", RenderersQuery.class, RendererList.class).idempotent();

  private static final Map<String, Channel<?, ?>> BUILT_IN = index(
      WINDOW_CREATE, WINDOW_CLOSE, WINDOW_UPDATE,
      TAB_CREATE, TAB_UPDATE, TAB_DELETE,
      NAVIGATE, NAVIGATE_BACK, NAVIGATE_FORWARD,
      SETTINGS_UPDATE, SETTINGS_GET,
      SYSTEM_EVENT, POWER_STATE,
      STATE_SYNC, STATE_RESYNC,
      RENDERERS_LIST);

  private static Map<String, Channel<?, ?>> index(Channel<?, ?>... channels) {
    Map<String, Channel<?, ?>> byName = new LinkedHashMap<>();
    for (Channel<?, ?> c : channels) {
      byName.put(c.name(), c);
    }
    return java.util.Collections.unmodifiableMap(byName);
  }

  /** Every built-in channel by wire name, in declaration order. */
  public static Map<String, Channel<?, ?>> builtIn() {
    return BUILT_IN;
  }

  public static Optional<Channel<?, ?>> builtIn(String name) {
    return Optional.ofNullable(BUILT_IN.get(name));
  }

  public static boolean isBuiltIn(String name) {
    return BUILT_IN.containsKey(name);
  }
}
