"""The analyse stage: works on findings, never on files or pixels.

`sequences` orders frames and tracks findings across them, `motion` turns tracks into speed
and course on the ground, `zones` reads a zones file, `rules` finds suspected violations,
and `plan` ties them into one call for the pipeline.
"""
