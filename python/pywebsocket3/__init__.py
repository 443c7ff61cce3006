"""wsx's pywebsocket compatibility package: the API pywebsocket handlers (*_wsh.py) import, served
by `wsx serve -w DIR` through its Python host (wsx_pyhost.py). Written for wsx from pywebsocket's
documented behaviour; it speaks to the wsx server, never to a socket, and has no standalone server.
"""
