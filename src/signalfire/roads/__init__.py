"""Roads domain: closures, coverage, geocoding and the base map over pure ``geo``
(the road network the platform routes and geocodes on)."""
