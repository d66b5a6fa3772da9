"""Views: figures and the GUI's shared parts. The figure style (:mod:`.figstyle`), the
generic views and the report page (:mod:`.plots`), and the population GUI (:mod:`.popgui`)."""
