"""The one exception family audioguide raises; the CLI prints any of them as a one-line error."""


class AudioguideError(Exception):
    """Base of every error audioguide reports to its user."""


class ArticleError(AudioguideError, ValueError):
    """An article could not be read or holds nothing to narrate."""


class SourceError(AudioguideError, ValueError):
    """A source could not be fetched or unpacked: a URL that fails, a feed or EPUB that is broken."""


class ScriptError(AudioguideError, ValueError):
    """A narration script or settings file is malformed; the message names file and line."""


class EngineError(AudioguideError):
    """A speech engine or voice is missing, cannot run here, or failed to speak."""


class AudioError(AudioguideError):
    """Encoding, decoding or tagging audio failed (the message carries ffmpeg's complaint)."""


class BuildError(AudioguideError):
    """A build cannot proceed: output folder locked, too many chapters, bad settings."""


class ServeError(AudioguideError, OSError):
    """The server cannot start: missing folder, port taken, address unusable."""


class ProofError(AudioguideError):
    """A guide cannot be proof-listened: no recogniser, no built audio, or a language it cannot hear."""
