//! `--url` / `--token` shared by every command that talks to a server (being written).
