"""newsvoice: Vietnamese TV-news article -> narration audio + broadcast subtitles."""

__version__ = "0.1.0"
