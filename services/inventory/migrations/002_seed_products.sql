-- Up Migration

-- The shop's catalogue for local runs and workshops. Stock is mostly plentiful so load tests do
-- not sell out at once; a few products are nearly gone (1-5 units) and TSHIRT-TRACE-L is sold
-- out, so a REJECTED (out of stock) order can be shown on demand.
INSERT INTO products (sku, name, description, price_cents, stock) VALUES
  ('MUG-BLUE-350', 'Blue mug 350 ml', 'Glazed stoneware mug in deep blue, dishwasher safe.', 1290, 240),
  ('MUG-WHITE-350', 'White mug 350 ml', 'Classic white ceramic mug with the Mesh logo.', 1290, 310),
  ('MUG-BLACK-450', 'Black mug 450 ml', 'Large matte black mug for long debugging sessions.', 1490, 180),
  ('MUG-ENAMEL-GREEN', 'Green enamel mug', 'Lightweight enamel camping mug, 300 ml.', 1690, 95),
  ('MUG-TRAVEL-500', 'Travel mug 500 ml', 'Double-walled steel travel mug with a leak-proof lid.', 2490, 3),
  ('TSHIRT-LOGO-S', 'Logo t-shirt, S', 'Organic cotton t-shirt with a small chest logo.', 2200, 120),
  ('TSHIRT-LOGO-M', 'Logo t-shirt, M', 'Organic cotton t-shirt with a small chest logo.', 2200, 260),
  ('TSHIRT-LOGO-L', 'Logo t-shirt, L', 'Organic cotton t-shirt with a small chest logo.', 2200, 230),
  ('TSHIRT-LOGO-XL', 'Logo t-shirt, XL', 'Organic cotton t-shirt with a small chest logo.', 2200, 4),
  ('TSHIRT-TRACE-M', 'Follow the trace t-shirt, M', 'A waterfall of spans printed on the back.', 2400, 150),
  ('TSHIRT-TRACE-L', 'Follow the trace t-shirt, L', 'A waterfall of spans printed on the back.', 2400, 0),
  ('HOODIE-GREY-M', 'Grey hoodie, M', 'Heavyweight brushed-fleece hoodie with a kangaroo pocket.', 4900, 75),
  ('HOODIE-GREY-L', 'Grey hoodie, L', 'Heavyweight brushed-fleece hoodie with a kangaroo pocket.', 4900, 60),
  ('STICKER-LOGO', 'Logo sticker', 'Die-cut vinyl sticker, 6 cm, weatherproof.', 250, 500),
  ('STICKER-SPAN', 'Span sticker', 'Vinyl sticker shaped like a span bar, 8 cm.', 250, 480),
  ('STICKER-PACK-10', 'Sticker pack of 10', 'Ten assorted vinyl stickers for your laptop lid.', 990, 350),
  ('STICKER-HOLO', 'Holographic sticker', 'Limited holographic logo sticker, 7 cm.', 450, 2),
  ('NOTEBOOK-A5-DOT', 'A5 dotted notebook', '160 pages of dotted 100 g/m2 paper, lay-flat binding.', 1450, 200),
  ('NOTEBOOK-A5-LINED', 'A5 lined notebook', '160 pages of lined 100 g/m2 paper, lay-flat binding.', 1450, 170),
  ('NOTEBOOK-A6-POCKET', 'A6 pocket notebook', 'Pocket notebook with a kraft cover, 64 pages.', 790, 320),
  ('NOTEBOOK-A4-GRID', 'A4 grid notebook', 'Large 5 mm grid notebook for architecture sketches.', 1890, 55),
  ('PEN-GEL-BLACK', 'Black gel pen', 'Smooth 0.5 mm gel pen with black ink.', 350, 450),
  ('PEN-GEL-BLUE', 'Blue gel pen', 'Smooth 0.5 mm gel pen with blue ink.', 350, 400),
  ('PENCIL-SET-6', 'Pencil set of 6', 'Cedar pencils from 2H to 4B in a tin.', 690, 140),
  ('TOTE-CANVAS', 'Canvas tote bag', 'Sturdy natural canvas tote with long handles.', 1590, 190),
  ('CAP-NAVY', 'Navy cap', 'Six-panel cotton cap with an embroidered logo.', 1990, 85),
  ('BEANIE-CHARCOAL', 'Charcoal beanie', 'Ribbed merino beanie, one size.', 1790, 1),
  ('SOCKS-STRIPED-39-42', 'Striped socks 39-42', 'Combed cotton socks in the Mesh colours.', 990, 130),
  ('SOCKS-STRIPED-43-46', 'Striped socks 43-46', 'Combed cotton socks in the Mesh colours.', 990, 110),
  ('BOTTLE-STEEL-750', 'Steel bottle 750 ml', 'Insulated stainless steel bottle, keeps cold for 24 h.', 2290, 90),
  ('COASTER-CORK-4', 'Cork coasters, set of 4', 'Natural cork coasters with a laser-engraved logo.', 890, 160),
  ('POSTER-A3-TRACE', 'Anatomy of a trace poster', 'A3 poster explaining spans, links and context.', 1290, 70),
  ('KEYCHAIN-ENAMEL', 'Enamel keychain', 'Hard enamel keychain with a brass ring.', 590, 300),
  ('LANYARD-BLACK', 'Black lanyard', 'Woven lanyard with a detachable clip.', 450, 420),
  ('PIN-ENAMEL-LOGO', 'Logo enamel pin', 'Hard enamel pin with a rubber clutch, 25 mm.', 490, 260),
  ('MOUSEPAD-XL', 'XL desk mat', 'Stitched-edge desk mat, 90 x 40 cm.', 1990, 65);

-- Down Migration

-- Refuses (foreign key) once a seeded product has been reserved: that history is not thrown away.
DELETE FROM products WHERE sku IN (
  'MUG-BLUE-350', 'MUG-WHITE-350', 'MUG-BLACK-450', 'MUG-ENAMEL-GREEN', 'MUG-TRAVEL-500',
  'TSHIRT-LOGO-S', 'TSHIRT-LOGO-M', 'TSHIRT-LOGO-L', 'TSHIRT-LOGO-XL', 'TSHIRT-TRACE-M',
  'TSHIRT-TRACE-L', 'HOODIE-GREY-M', 'HOODIE-GREY-L', 'STICKER-LOGO', 'STICKER-SPAN',
  'STICKER-PACK-10', 'STICKER-HOLO', 'NOTEBOOK-A5-DOT', 'NOTEBOOK-A5-LINED', 'NOTEBOOK-A6-POCKET',
  'NOTEBOOK-A4-GRID', 'PEN-GEL-BLACK', 'PEN-GEL-BLUE', 'PENCIL-SET-6', 'TOTE-CANVAS', 'CAP-NAVY',
  'BEANIE-CHARCOAL', 'SOCKS-STRIPED-39-42', 'SOCKS-STRIPED-43-46', 'BOTTLE-STEEL-750',
  'COASTER-CORK-4', 'POSTER-A3-TRACE', 'KEYCHAIN-ENAMEL', 'LANYARD-BLACK', 'PIN-ENAMEL-LOGO',
  'MOUSEPAD-XL'
);
