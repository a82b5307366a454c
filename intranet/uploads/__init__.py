"""Files staged between a preview and its confirmation.

The app keeps no state in memory (several servers may sit behind one proxy), so an
uploaded file waits here, bound to the user who sent it, until it is confirmed.
"""
