"""The Home Assistant side: what a charger looks like there (entities), the events both ways, the dashboard
helpers, and the publisher that writes it all through a `HomeAssistant` host (see `hass`)."""
