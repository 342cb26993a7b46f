"""The built-in engines' voices: names and descriptions only.

Kept apart from the engine modules (numpy, ctypes, requests) so that the
registry can list engines and voices, and the CLI validate ``--voice``, without
loading any engine. Each engine module re-exports its table as ``VOICES``.
"""

from __future__ import annotations

ESPEAK = {
    "vi": "Vietnamese, northern (espeak-ng)",
    "vi-VN-x-central": "Vietnamese, central (espeak-ng)",
    "vi-VN-x-south": "Vietnamese, southern (espeak-ng)",
}

GOOGLE = {
    "vi": "Vietnamese (Google Translate, translate.google.com)",
    "vi-com.vn": "Vietnamese (Google Translate, translate.google.com.vn)",
}

EDGE = {
    "vi-VN-HoaiMyNeural": "Vietnamese, female, neural (Microsoft Edge)",
    "vi-VN-NamMinhNeural": "Vietnamese, male, neural (Microsoft Edge)",
}
