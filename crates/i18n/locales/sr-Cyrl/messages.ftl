notice-message-sent-ref = Порука је послата. Њен референтни број је { $reference } (наведите га када зовете у вези с њом); доказ { $evidence }.
message-reference = Референтни број
