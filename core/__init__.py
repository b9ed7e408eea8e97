"""The base layer: text and Arabic normalisation, sentences and spans, errors, result types, settings.

Nothing here imports another rawi package; everything else may import from here.
"""
