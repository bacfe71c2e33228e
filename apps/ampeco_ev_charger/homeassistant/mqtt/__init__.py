"""Optional: each charger as a real Home Assistant device through MQTT discovery (AppDaemon's MQTT plugin)."""
