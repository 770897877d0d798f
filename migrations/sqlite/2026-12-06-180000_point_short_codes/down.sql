DROP TABLE point_short_codes;
