"""Who is asking and what they may do: roles, permissions, credentials."""
