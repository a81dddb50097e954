handover-download = Hand-over list for the carrier (PDF)
handover-title = Hand-over list: { $point }
handover-intro = Print batch of { $batch }: { $count } letters, { $pages } pages in all. The carrier checks each letter against its tracking number and signs below.
handover-row = { $name }, { $street }, { $code } { $city } · pages: { $pages }
handover-signatures = Signatures
handover-sign-lines =
    Handed over by (post office clerk): ______________________________

    Received by (carrier): ______________________________

    Date and time: ______________________________
