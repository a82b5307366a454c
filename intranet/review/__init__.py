"""The review workflow shared by school roadmaps and self-inspection forms.

A reviewable record (``Reviewable``) moves draft -> submitted -> returned | accepted; every
submission stores an append-only ``Version`` of its content (with its own uuid naming its
parent), and every act of review is a ``ReviewEvent`` (submit, return, accept, comment,
reopen), optionally aimed at one field or item by its stable key.
"""
