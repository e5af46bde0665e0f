"""Agencies, users, roles, sessions, API tokens and second factors."""
