handover-download = Spisak za predaju dostavljaču (PDF)
handover-title = Spisak za predaju: { $point }
handover-intro = Paket za štampu od { $batch }: pisama { $count }, ukupno strana { $pages }. Dostavljač proverava svako pismo prema broju pošiljke i potpisuje ispod.
handover-row = { $name }, { $street }, { $code } { $city } · strana: { $pages }
handover-signatures = Potpisi
handover-sign-lines =
    Predao (službenik pošte): ______________________________

    Primio (dostavljač): ______________________________

    Datum i vreme: ______________________________
