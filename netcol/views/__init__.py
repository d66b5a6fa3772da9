"""Views: figures and the GUI's shared parts. The figure style (:mod:`.figstyle`), the
generic views and the report page (:mod:`.plots`), the GUIs' window tiling, colours and
following axes (:mod:`.guilayout`), and the population GUI (:mod:`.popgui`)."""
