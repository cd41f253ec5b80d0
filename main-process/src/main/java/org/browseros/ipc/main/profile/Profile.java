package org.browseros.ipc.main.profile;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.browseros.ipc.main.persistence.JournalFailures;
import org.browseros.ipc.main.core.Inputs;
import org.browseros.ipc.main.persistence.JournalSerializable;
import org.browseros.ipc.main.settings.Settings;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.main.system.SystemMonitor;
import org.browseros.ipc.main.window.Window;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabDeleted;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.Bounds;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowUpdate;

/**
 * A profile: the structure of one user's session (its windows in order, which tabs each holds,
 * the id counters) as a Cluster Sharding entity keyed by profile id. It checks every request,
 * spawns one {@link Window} per open window and one {@link Settings}, and routes tab commands to the
 * window that holds the tab. Ids ({@code w1}, {@code t1}, ...) are unique within the profile and
 * never reused.
 *
 * <p>Sharding starts an entity on its first message, so the bootstrap sends {@link Wake} to the
 * profiles it wants restored: the profile recovers, respawns its windows, tabs and settings, and
 * they republish their state to the {@link StateHub}. Passivation must stay off for this entity
 * (see {@code Domain}), or an idle profile would stop its windows.
 */
public final class Profile extends EventSourcedBehavior<Profile.Command, Profile.Event, Profile.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Profile");
  public static final String DEFAULT_PROFILE = "default";
  public static final String DEFAULT_WINDOW_TITLE = "New Window";
  private static final Duration SETTINGS_ASK_TIMEOUT = Duration.ofSeconds(3);

  public interface Command {}

  /** Starts (and so restores) the profile; no reply. */
  public enum Wake implements Command { INSTANCE }

  public record CreateWindow(WindowCreate request, ActorRef<StatusReply<WindowInfo>> replyTo) implements Command {}

  public record CloseWindow(String windowId, ActorRef<StatusReply<WindowClosed>> replyTo) implements Command {}

  public record UpdateWindow(WindowUpdate request, ActorRef<StatusReply<WindowInfo>> replyTo) implements Command {}

  public record CreateTab(TabCreate request, ActorRef<StatusReply<TabInfo>> replyTo) implements Command {}

  public record UpdateTab(TabUpdate request, ActorRef<StatusReply<TabInfo>> replyTo) implements Command {}

  public record DeleteTab(String tabId, ActorRef<StatusReply<TabDeleted>> replyTo) implements Command {}

  public record Navigate(String tabId, String url, ActorRef<StatusReply<TabInfo>> replyTo) implements Command {}

  public record GoBack(String tabId, ActorRef<StatusReply<TabInfo>> replyTo) implements Command {}

  public record GoForward(String tabId, ActorRef<StatusReply<TabInfo>> replyTo) implements Command {}

  public record UpdateSetting(String key, com.fasterxml.jackson.databind.JsonNode value,
      ActorRef<StatusReply<Setting>> replyTo) implements Command {}

  /** One setting ({@code key} given) or all ({@code key} null). */
  public record GetSettings(String key, ActorRef<StatusReply<SettingsView>> replyTo) implements Command {}

  /** A tab:create without url, once the homepage setting is known. */
  private record HomepageResolved(CreateTab create, String url) implements Command {}

  public interface Event extends JournalSerializable {}

  public record WindowOpened(String windowId, String title, Bounds bounds) implements Event {}

  /** The window and every tab it held are gone. */
  public record WindowRemoved(String windowId) implements Event {}

  public record TabAssigned(String tabId, String windowId) implements Event {}

  public record TabRemoved(String tabId) implements Event {}

  /** How a window was opened (its state before any event of its own). */
  public record WindowSeed(String windowId, String title, Bounds bounds) implements JournalSerializable {}

  public record State(List<WindowSeed> windows, Map<String, String> tabWindows, int windowCounter, int tabCounter)
      implements JournalSerializable {
    boolean hasWindow(String windowId) {
      return windows.stream().anyMatch(w -> w.windowId().equals(windowId));
    }
  }

  private final ActorContext<Command> context;
  private final String profileId;
  private final ActorRef<StateHub.Command> stateHub;
  private final ActorRef<SystemMonitor.Command> systemMonitor;
  private final Map<String, ActorRef<Window.Command>> windows = new HashMap<>();
  private ActorRef<Settings.Command> settings;

  public static Behavior<Command> create(
      String profileId, ActorRef<StateHub.Command> stateHub, ActorRef<SystemMonitor.Command> systemMonitor) {
    return Behaviors.setup(context -> new Profile(context, profileId, stateHub, systemMonitor));
  }

  private Profile(
      ActorContext<Command> context, String profileId, ActorRef<StateHub.Command> stateHub,
      ActorRef<SystemMonitor.Command> systemMonitor) {
    super(PersistenceId.ofUniqueId("Profile|" + profileId),
        JournalFailures.RESTART_WITH_BACKOFF);
    this.context = context;
    this.profileId = profileId;
    this.stateHub = stateHub;
    this.systemMonitor = systemMonitor;
  }

  @Override
  public State emptyState() {
    return new State(List.of(), Map.of(), 0, 0);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Wake.class, this::onWake)
        .onCommand(CreateWindow.class, this::onCreateWindow)
        .onCommand(CloseWindow.class, this::onCloseWindow)
        .onCommand(UpdateWindow.class, this::onUpdateWindow)
        .onCommand(CreateTab.class, this::onCreateTab)
        .onCommand(HomepageResolved.class, this::onHomepageResolved)
        .onCommand(UpdateTab.class, this::onUpdateTab)
        .onCommand(DeleteTab.class, this::onDeleteTab)
        .onCommand(Navigate.class, this::onNavigate)
        .onCommand(GoBack.class, this::onGoBack)
        .onCommand(GoForward.class, this::onGoForward)
        .onCommand(UpdateSetting.class, this::onUpdateSetting)
        .onCommand(GetSettings.class, this::onGetSettings)
        .build();
  }

  private Effect<Event, State> onWake(State state, Wake wake) {
    context.getLog().debug("Profile [{}] awake with {} windows", profileId, state.windows().size());
    return Effect().none();
  }

  private Effect<Event, State> onCreateWindow(State state, CreateWindow create) {
    return checked(create.replyTo(), () -> {
      WindowCreate request = create.request() == null ? new WindowCreate(null, null) : create.request();
      String title = request.title() == null ? DEFAULT_WINDOW_TITLE : Inputs.title(request.title());
      Bounds bounds = request.bounds() == null ? Bounds.DEFAULT : Inputs.bounds(request.bounds());
      String windowId = "w" + (state.windowCounter() + 1);
      return Effect().persist(new WindowOpened(windowId, title, bounds)).thenRun(s -> {
        spawnWindow(new WindowSeed(windowId, title, bounds)).tell(new Window.Get(create.replyTo()));
        context.getLog().info("Profile [{}] opened window [{}]", profileId, windowId);
      });
    });
  }

  private Effect<Event, State> onCloseWindow(State state, CloseWindow close) {
    return checked(close.replyTo(), () -> {
      String windowId = requireWindow(state, close.windowId());
      return Effect().persist(new WindowRemoved(windowId)).thenRun(s -> {
        ActorRef<Window.Command> window = windows.remove(windowId);
        if (window != null) {
          window.tell(new Window.Close(close.replyTo()));
        }
        context.getLog().info("Profile [{}] closed window [{}]", profileId, windowId);
      });
    });
  }

  private Effect<Event, State> onUpdateWindow(State state, UpdateWindow update) {
    return checked(update.replyTo(), () -> {
      WindowUpdate request = update.request();
      String windowId = requireWindow(state, request == null ? null : request.windowId());
      window(windowId).tell(new Window.Update(
          Inputs.title(request.title()), Inputs.bounds(request.bounds()), request.state(), request.focused(),
          update.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onCreateTab(State state, CreateTab create) {
    return checked(create.replyTo(), () -> {
      TabCreate request = create.request();
      requireWindow(state, request == null ? null : request.windowId());
      if (request.url() != null) {
        return openTab(state, create, Inputs.url(request.url()));
      }
      context.askWithStatus(SettingsView.class, settings(), SETTINGS_ASK_TIMEOUT,
          replyTo -> new Settings.Get("homepage", replyTo),
          (view, failure) -> new HomepageResolved(create, homepage(view)));
      return Effect().none();
    });
  }

  private Effect<Event, State> onHomepageResolved(State state, HomepageResolved resolved) {
    return checked(resolved.create().replyTo(), () -> {
      requireWindow(state, resolved.create().request().windowId());
      return openTab(state, resolved.create(), Inputs.url(resolved.url()));
    });
  }

  private Effect<Event, State> openTab(State state, CreateTab create, String url) {
    String windowId = create.request().windowId();
    String tabId = "t" + (state.tabCounter() + 1);
    boolean active = !Boolean.FALSE.equals(create.request().active());
    return Effect().persist(new TabAssigned(tabId, windowId)).thenRun(s ->
        window(windowId).tell(new Window.AddTab(tabId, url, active, create.replyTo())));
  }

  private Effect<Event, State> onUpdateTab(State state, UpdateTab update) {
    return checked(update.replyTo(), () -> {
      TabUpdate request = update.request();
      String tabId = request == null ? null : request.tabId();
      window(windowOfTab(state, tabId)).tell(new Window.UpdateTab(
          tabId, Inputs.title(request.title()), request.pinned(), request.muted(), request.active(),
          update.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onDeleteTab(State state, DeleteTab delete) {
    return checked(delete.replyTo(), () -> {
      String windowId = windowOfTab(state, delete.tabId());
      return Effect().persist(new TabRemoved(delete.tabId())).thenRun(s ->
          window(windowId).tell(new Window.RemoveTab(delete.tabId(), delete.replyTo())));
    });
  }

  private Effect<Event, State> onNavigate(State state, Navigate navigate) {
    return checked(navigate.replyTo(), () -> {
      String windowId = windowOfTab(state, navigate.tabId());
      window(windowId).tell(new Window.Navigate(navigate.tabId(), Inputs.url(navigate.url()), navigate.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onGoBack(State state, GoBack back) {
    return checked(back.replyTo(), () -> {
      window(windowOfTab(state, back.tabId())).tell(new Window.GoBack(back.tabId(), back.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onGoForward(State state, GoForward forward) {
    return checked(forward.replyTo(), () -> {
      window(windowOfTab(state, forward.tabId())).tell(new Window.GoForward(forward.tabId(), forward.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onUpdateSetting(State state, UpdateSetting update) {
    settings().tell(new Settings.Update(update.key(), update.value(), update.replyTo()));
    return Effect().none();
  }

  private Effect<Event, State> onGetSettings(State state, GetSettings get) {
    settings().tell(new Settings.Get(get.key(), get.replyTo()));
    return Effect().none();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(WindowOpened.class, (s, e) -> {
          List<WindowSeed> list = new ArrayList<>(s.windows());
          list.add(new WindowSeed(e.windowId(), e.title(), e.bounds()));
          return new State(List.copyOf(list), s.tabWindows(), s.windowCounter() + 1, s.tabCounter());
        })
        .onEvent(WindowRemoved.class, (s, e) -> {
          Map<String, String> tabs = new LinkedHashMap<>(s.tabWindows());
          tabs.values().removeIf(e.windowId()::equals);
          List<WindowSeed> list = s.windows().stream().filter(w -> !w.windowId().equals(e.windowId())).toList();
          return new State(list, Map.copyOf(tabs), s.windowCounter(), s.tabCounter());
        })
        .onEvent(TabAssigned.class, (s, e) -> {
          Map<String, String> tabs = new LinkedHashMap<>(s.tabWindows());
          tabs.put(e.tabId(), e.windowId());
          return new State(s.windows(), Map.copyOf(tabs), s.windowCounter(), s.tabCounter() + 1);
        })
        .onEvent(TabRemoved.class, (s, e) -> {
          Map<String, String> tabs = new LinkedHashMap<>(s.tabWindows());
          tabs.remove(e.tabId());
          return new State(s.windows(), Map.copyOf(tabs), s.windowCounter(), s.tabCounter());
        })
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .build();
  }

  private void onRecoveryCompleted(State state) {
    settings();
    state.windows().forEach(this::spawnWindow);
    context.getLog().info("Profile [{}] restored with {} windows and {} tabs",
        profileId, state.windows().size(), state.tabWindows().size());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  private ActorRef<Window.Command> spawnWindow(WindowSeed seed) {
    ActorRef<Window.Command> window = context.spawn(
        Window.create(profileId, seed.windowId(), seed.title(), seed.bounds(), stateHub), seed.windowId());
    windows.put(seed.windowId(), window);
    return window;
  }

  private ActorRef<Settings.Command> settings() {
    if (settings == null) {
      settings = context.spawn(Settings.create(profileId, stateHub, systemMonitor), "settings");
    }
    return settings;
  }

  private ActorRef<Window.Command> window(String windowId) {
    ActorRef<Window.Command> window = windows.get(windowId);
    if (window == null) {
      throw Inputs.notFound("No window '" + windowId + "'");
    }
    return window;
  }

  private static String requireWindow(State state, String windowId) {
    Inputs.requireId(windowId, "windowId");
    if (!state.hasWindow(windowId)) {
      throw Inputs.notFound("No window '" + windowId + "'");
    }
    return windowId;
  }

  private static String windowOfTab(State state, String tabId) {
    Inputs.requireId(tabId, "tabId");
    String windowId = state.tabWindows().get(tabId);
    if (windowId == null) {
      throw Inputs.notFound("No tab '" + tabId + "'");
    }
    return windowId;
  }

  private static String homepage(SettingsView view) {
    return view == null || view.settings().get("homepage") == null
        ? "about:blank" : view.settings().get("homepage").asText();
  }

  /** Runs a handler, turning its typed errors into the error reply. */
  private <T> Effect<Event, State> checked(ActorRef<StatusReply<T>> replyTo, Supplier<Effect<Event, State>> handler) {
    try {
      return handler.get();
    } catch (IpcException e) {
      return Effect().reply(replyTo, StatusReply.error(e));
    }
  }
}
