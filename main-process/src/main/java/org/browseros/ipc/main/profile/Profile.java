package org.browseros.ipc.main.profile;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.browseros.ipc.main.persistence.Answerable;
import org.browseros.ipc.main.persistence.CommandFailures;
import org.browseros.ipc.main.persistence.JournalFailures;
import org.browseros.ipc.main.persistence.JournalHealth;
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

  /**
   * Who asks and within what scope, as the edge established it from the caller's capability.
   *
   * @param rendererId the caller; windows and tabs it creates are recorded as its own
   * @param ownOnly the {@code own-tabs} scope: only windows and tabs owned by {@code rendererId}
   * @param urlSchemes url schemes the caller may open (the domain never opens {@code javascript:})
   */
  public record Access(String rendererId, boolean ownOnly, Set<String> urlSchemes) {
    public Access {
      urlSchemes = Set.copyOf(urlSchemes);
    }

    /** Main's own access: every window and tab, the default schemes. */
    public static Access unrestricted(String rendererId) {
      return new Access(rendererId, false, Inputs.DEFAULT_SCHEMES);
    }
  }

  /** Starts (and so restores) the profile; no reply. */
  public enum Wake implements Command { INSTANCE }

  public record CreateWindow(Access access, WindowCreate request, ActorRef<StatusReply<WindowInfo>> replyTo) implements Command, Answerable<WindowInfo> {}

  public record CloseWindow(Access access, String windowId, ActorRef<StatusReply<WindowClosed>> replyTo) implements Command, Answerable<WindowClosed> {}

  public record UpdateWindow(Access access, WindowUpdate request, ActorRef<StatusReply<WindowInfo>> replyTo) implements Command, Answerable<WindowInfo> {}

  public record CreateTab(Access access, TabCreate request, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record UpdateTab(Access access, TabUpdate request, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record DeleteTab(Access access, String tabId, ActorRef<StatusReply<TabDeleted>> replyTo) implements Command, Answerable<TabDeleted> {}

  public record Navigate(Access access, String tabId, String url, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record GoBack(Access access, String tabId, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record GoForward(Access access, String tabId, ActorRef<StatusReply<TabInfo>> replyTo) implements Command, Answerable<TabInfo> {}

  public record UpdateSetting(String key, com.fasterxml.jackson.databind.JsonNode value,
      ActorRef<StatusReply<Setting>> replyTo) implements Command, Answerable<Setting> {}

  /** One setting ({@code key} given) or all ({@code key} null). */
  public record GetSettings(String key, ActorRef<StatusReply<SettingsView>> replyTo) implements Command, Answerable<SettingsView> {}

  /** A tab:create without url, once the homepage setting is known. */
  private record HomepageResolved(CreateTab create, String url) implements Command {}

  public interface Event extends JournalSerializable {}

  /** {@code owner}: the renderer that opened it (null in journals written before ownership was recorded). */
  public record WindowOpened(String windowId, String title, Bounds bounds, String owner) implements Event {}

  /** The window and every tab it held are gone. */
  public record WindowRemoved(String windowId) implements Event {}

  public record TabAssigned(String tabId, String windowId, String owner) implements Event {}

  public record TabRemoved(String tabId) implements Event {}

  /** How a window was opened (its state before any event of its own). */
  public record WindowSeed(String windowId, String title, Bounds bounds) implements JournalSerializable {}

  /**
   * {@code owners}: window and tab id to the renderer id that created it.
   *
   * <p>{@code tabWindows} and {@code owners} hold every tab. The event handler copies each of them
   * once per incarnation of this actor ({@code owned}) and then updates that copy in place: copying
   * all tabs for every tab event made opening the 10,000th tab cost 10,000 puts. The copy never
   * leaves this actor: a snapshot gets an immutable copy ({@code snapshotAdapter}, called on this
   * actor's thread before the snapshot store serializes it on its own), and the empty state, which
   * Pekko keeps for a restart's replay, holds immutable maps that are never changed.
   */
  public record State(
      List<WindowSeed> windows, Map<String, String> tabWindows, int windowCounter, int tabCounter,
      Map<String, String> owners) implements JournalSerializable {
    public State {
      owners = owners == null ? Map.of() : owners;
    }

    boolean hasWindow(String windowId) {
      return windows.stream().anyMatch(w -> w.windowId().equals(windowId));
    }

    /** The same state with immutable copies of the maps (what a snapshot stores). */
    State frozen() {
      return new State(List.copyOf(windows), Map.copyOf(tabWindows), windowCounter, tabCounter, Map.copyOf(owners));
    }
  }

  /** A map of the state that this incarnation has copied and may update in place (see {@link State}). */
  private static final class OwnedMap extends HashMap<String, String> {
    OwnedMap(Map<String, String> from) {
      super(from);
    }
  }

  private static final SnapshotAdapter<State> SNAPSHOTS = new SnapshotAdapter<>() {
    @Override
    public Object toJournal(State state) {
      return state.frozen();
    }

    @Override
    public State fromJournal(Object from) {
      return (State) from;
    }
  };

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
    return new State(List.of(), Map.of(), 0, 0, Map.of());
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return CommandFailures.answerInternalOnFailure(newCommandHandlerBuilder()
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
        .build(), context.getLog(), "Profile " + profileId);
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
      return Effect().persist(new WindowOpened(windowId, title, bounds, create.access().rendererId())).thenRun(s -> {
        spawnWindow(new WindowSeed(windowId, title, bounds)).tell(new Window.Get(create.replyTo()));
        context.getLog().info("Profile [{}] opened window [{}]", profileId, windowId);
      });
    });
  }

  private Effect<Event, State> onCloseWindow(State state, CloseWindow close) {
    return checked(close.replyTo(), () -> {
      String windowId = requireWindow(state, close.windowId());
      requireScope(state, close.access(), windowId, "Window");
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
      requireScope(state, update.access(), windowId, "Window");
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
      requireScope(state, create.access(), request.windowId(), "Window");
      if (request.url() != null) {
        return openTab(state, create, Inputs.url(request.url(), create.access().urlSchemes()));
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
      requireScope(state, resolved.create().access(), resolved.create().request().windowId(), "Window");
      return openTab(state, resolved.create(), Inputs.url(resolved.url()));
    });
  }

  private Effect<Event, State> openTab(State state, CreateTab create, String url) {
    String windowId = create.request().windowId();
    String tabId = "t" + (state.tabCounter() + 1);
    boolean active = !Boolean.FALSE.equals(create.request().active());
    return Effect().persist(new TabAssigned(tabId, windowId, create.access().rendererId())).thenRun(s ->
        window(windowId).tell(new Window.AddTab(tabId, url, active, create.replyTo())));
  }

  private Effect<Event, State> onUpdateTab(State state, UpdateTab update) {
    return checked(update.replyTo(), () -> {
      TabUpdate request = update.request();
      String tabId = request == null ? null : request.tabId();
      String windowId = windowOfTab(state, tabId);
      requireScope(state, update.access(), tabId, "Tab");
      window(windowId).tell(new Window.UpdateTab(
          tabId, Inputs.title(request.title()), request.pinned(), request.muted(), request.active(),
          update.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onDeleteTab(State state, DeleteTab delete) {
    return checked(delete.replyTo(), () -> {
      String windowId = windowOfTab(state, delete.tabId());
      requireScope(state, delete.access(), delete.tabId(), "Tab");
      return Effect().persist(new TabRemoved(delete.tabId())).thenRun(s ->
          window(windowId).tell(new Window.RemoveTab(delete.tabId(), delete.replyTo())));
    });
  }

  private Effect<Event, State> onNavigate(State state, Navigate navigate) {
    return checked(navigate.replyTo(), () -> {
      String windowId = windowOfTab(state, navigate.tabId());
      requireScope(state, navigate.access(), navigate.tabId(), "Tab");
      String url = Inputs.url(navigate.url(), navigate.access().urlSchemes());
      window(windowId).tell(new Window.Navigate(navigate.tabId(), url, navigate.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onGoBack(State state, GoBack back) {
    return checked(back.replyTo(), () -> {
      String windowId = windowOfTab(state, back.tabId());
      requireScope(state, back.access(), back.tabId(), "Tab");
      window(windowId).tell(new Window.GoBack(back.tabId(), back.replyTo()));
      return Effect().none();
    });
  }

  private Effect<Event, State> onGoForward(State state, GoForward forward) {
    return checked(forward.replyTo(), () -> {
      String windowId = windowOfTab(state, forward.tabId());
      requireScope(state, forward.access(), forward.tabId(), "Tab");
      window(windowId).tell(new Window.GoForward(forward.tabId(), forward.replyTo()));
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
          return new State(List.copyOf(list), s.tabWindows(), s.windowCounter() + 1, s.tabCounter(),
              withOwner(s.owners(), e.windowId(), e.owner()));
        })
        .onEvent(WindowRemoved.class, (s, e) -> {
          Map<String, String> tabs = owned(s.tabWindows());
          Map<String, String> owners = owned(s.owners());
          tabs.entrySet().removeIf(t -> {
            boolean inWindow = t.getValue().equals(e.windowId());
            if (inWindow) {
              owners.remove(t.getKey());
            }
            return inWindow;
          });
          owners.remove(e.windowId());
          List<WindowSeed> list = s.windows().stream().filter(w -> !w.windowId().equals(e.windowId())).toList();
          return new State(list, tabs, s.windowCounter(), s.tabCounter(), owners);
        })
        .onEvent(TabAssigned.class, (s, e) -> {
          Map<String, String> tabs = owned(s.tabWindows());
          tabs.put(e.tabId(), e.windowId());
          return new State(s.windows(), tabs, s.windowCounter(), s.tabCounter() + 1,
              withOwner(s.owners(), e.tabId(), e.owner()));
        })
        .onEvent(TabRemoved.class, (s, e) -> {
          Map<String, String> tabs = owned(s.tabWindows());
          tabs.remove(e.tabId());
          Map<String, String> owners = owned(s.owners());
          owners.remove(e.tabId());
          return new State(s.windows(), tabs, s.windowCounter(), s.tabCounter(), owners);
        })
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .onSignal(RecoveryFailed.class, (state, failed) ->
            JournalHealth.reportFailure(context, persistenceId().id(), failed.getFailure()))
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

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return SNAPSHOTS;
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

  private static Map<String, String> withOwner(Map<String, String> owners, String id, String owner) {
    if (owner == null) {
      return owners;
    }
    Map<String, String> updated = owned(owners);
    updated.put(id, owner);
    return updated;
  }

  /** The map itself if this incarnation already copied it, else its copy (see {@link State}). */
  private static Map<String, String> owned(Map<String, String> map) {
    return map instanceof OwnedMap ? map : new OwnedMap(map);
  }

  /** The own-tabs scope: a scoped caller may act only on windows and tabs it created. */
  private static void requireScope(State state, Access access, String id, String what) {
    if (access.ownOnly() && !access.rendererId().equals(state.owners().get(id))) {
      throw new IpcException(org.browseros.ipc.protocol.ErrorCode.PERMISSION,
          what + " '" + id + "' is not in the scope of renderer '" + access.rendererId() + "'");
    }
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
