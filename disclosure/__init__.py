"""A static public-disclosure portal for a city social-credit office.

Data flows one way (see DESIGN.md): stage -> sign -> verify -> fold -> render -> index.
"""

__version__ = "0.1.0"
