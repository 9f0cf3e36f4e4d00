-- Which acknowledgement a trading partner wants for its 005010 groups: the 997 or the 999
-- (implementation acknowledgement, 005010X231A1).
ALTER TABLE edi_partners ADD COLUMN acknowledgement TEXT NOT NULL DEFAULT '997';
