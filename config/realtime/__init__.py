"""Real time: the channel layer every consumer and announcer uses. Imports no app."""
