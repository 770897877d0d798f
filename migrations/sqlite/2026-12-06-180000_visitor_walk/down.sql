DROP TABLE images;
DROP TABLE point_short_codes;
