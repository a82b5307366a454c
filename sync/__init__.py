"""Offline sync: signed bundles that carry a school's changes up and the district's down.

A bundle is one format for every direction and transport (a USB stick now, HTTP later):
``bundle`` reads and writes it, ``keys`` holds the Ed25519 keys, ``importer`` applies one
bundle in one transaction, ``exporter`` builds the next bundle for the other side.
"""
