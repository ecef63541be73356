"""Backups (issue 13 item 2): full logical backups of the database, their verification by a restore
into a scratch database, retention, the media buckets, and one tenant's export and restore."""
