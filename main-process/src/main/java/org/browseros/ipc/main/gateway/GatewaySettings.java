package org.browseros.ipc.main.gateway;

import com.typesafe.config.Config;
import java.time.Duration;
import org.browseros.ipc.main.security.SecurityPolicy;

/**
 * Settings of the gateway and its connections ({@code browseros.gateway}).
 *
 * @param heartbeatInterval how often renderers send a heartbeat
 * @param missedHeartbeats silent intervals after which main drops the connection
 * @param maxPayloadBytes the largest envelope payload accepted or sent; larger is TOO_LARGE
 * @param rendererInvokeTimeout default timeout of main-to-renderer invokes
 * @param authenticationTimeout bound on checking a launch secret
 * @param security capabilities, limits and the bad-message policy ({@code browseros.security})
 * @param flowControl how far a renderer may fall behind ({@code browseros.gateway.flow-control})
 */
public record GatewaySettings(
    Duration heartbeatInterval,
    int missedHeartbeats,
    int maxPayloadBytes,
    Duration rendererInvokeTimeout,
    Duration authenticationTimeout,
    SecurityPolicy security,
    FlowControl flowControl) {

  public GatewaySettings(Duration heartbeatInterval, int missedHeartbeats, int maxPayloadBytes,
      Duration rendererInvokeTimeout, Duration authenticationTimeout, SecurityPolicy security) {
    this(heartbeatInterval, missedHeartbeats, maxPayloadBytes, rendererInvokeTimeout, authenticationTimeout, security,
        FlowControl.DEFAULTS);
  }

  /** These settings with another flow control. */
  public GatewaySettings withFlowControl(FlowControl flowControl) {
    return new GatewaySettings(heartbeatInterval, missedHeartbeats, maxPayloadBytes, rendererInvokeTimeout,
        authenticationTimeout, security, flowControl);
  }

  /** Settings with the stock security policy of reference.conf. */
  public GatewaySettings(Duration heartbeatInterval, int missedHeartbeats, int maxPayloadBytes,
      Duration rendererInvokeTimeout, Duration authenticationTimeout) {
    this(heartbeatInterval, missedHeartbeats, maxPayloadBytes, rendererInvokeTimeout, authenticationTimeout,
        SecurityPolicy.defaults());
  }

  public static GatewaySettings fromConfig(Config config) {
    Config c = config.getConfig("browseros.gateway");
    return new GatewaySettings(
        c.getDuration("heartbeat-interval"),
        c.getInt("missed-heartbeats"),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("max-payload-size")),
        c.getDuration("renderer-invoke-timeout"),
        c.getDuration("authentication-timeout"),
        SecurityPolicy.fromConfig(config),
        FlowControl.fromConfig(c));
  }
}
