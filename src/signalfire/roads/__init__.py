"""Roads domain: the road network the platform routes and geocodes on, over pure ``geo``."""
