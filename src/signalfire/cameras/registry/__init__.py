"""The camera registry: cameras, their health, source URLs, HTTP routes, camera events."""
