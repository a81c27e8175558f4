"""The platform every area stands on: the database and its migrations, the one audited write path (records, entities, validation, audit), settings and secrets, accounts and sessions, Excel in and out, lists, backups.

Imports nothing from the business areas."""
