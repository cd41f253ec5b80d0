package org.browseros.ipc.protocol.system;

/**
 * Reply to {@code power:state}.
 *
 * @param source {@code ac}, {@code battery} or {@code unknown}
 * @param batteryPercent 0..100, absent without a battery
 * @param state the battery's state ({@code charging}, {@code discharging}, {@code full},
 *     {@code not-charging}), or {@code unknown} where {@code /sys/class/power_supply} says nothing
 */
public record PowerState(String source, Integer batteryPercent, String state) {}
