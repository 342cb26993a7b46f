"""Text normalisation: written Vietnamese news text -> what a newsreader says.

CONTRACT:
    Normalizer(lexicon_paths: Sequence[Path] = ()) ; .normalize(text: str) -> str
The result is NFC, lower or mixed case, contains no ASCII digits, and keeps
the text's punctuation where it helps prosody (commas, full stops).
"""
