-- ============================================================================
-- The recipient's time zone from their number's area code, for the TCPA's quiet hours (8 am to
-- 9 pm where the recipient is). One row per NANP area code we know:
--   single_zone      every exchange of the code is in one IANA zone: that zone;
--   spans_zones      the code's exchanges are in more than one zone (Indiana's 219/574/812, the
--                    Florida panhandle's 850, Idaho, Kansas, the Dakotas, Alaska, northern Ontario,
--                    Labrador...): no zone, the business's zone is used;
--   non_geographic   toll-free (800, 833...), personal communications (5XX), Canadian
--                    non-geographic (600, 622), government (710), premium (900): no zone either.
-- A number outside the table (non-NANP, a Caribbean country, a code not yet in service) has no row
-- and also falls back to the business's zone.
--
-- Where the mapping comes from: the area codes of the United States (with DC and its territories
-- Puerto Rico, the US Virgin Islands, Guam, the Northern Mariana Islands, American Samoa) and of
-- Canada as libphonenumber publishes them (google/libphonenumber at commit f7e3e88c, 2026-07-17):
-- the zone of each code and of each of its exchanges from resources/timezones/map_data.txt, the
-- state or province from resources/geocoding/en/1.txt. A code is single_zone only when the code and
-- every exchange listed under it name the same zone; codes NANPA assigns but libphonenumber does
-- not yet map stay out of the table (and fall back). The non-geographic codes in service are
-- those of LincMad's list of NANP non-geographic codes (lincmad.com/nongeographic.html).
-- ============================================================================

-- ---------------------------------------------------------------------------
-- Table
-- ---------------------------------------------------------------------------

create table private.sms_area_code_zones (
  area_code text primary key check (area_code ~ '^[2-9][0-9]{2}$'),
  kind text not null check (kind in ('single_zone', 'spans_zones', 'non_geographic')),
  country text check (country in ('US', 'CA')),
  region text check (length(region) between 2 and 8),
  time_zone text,
  check ((kind = 'single_zone') = (time_zone is not null)),
  check ((kind = 'non_geographic') = (country is null))
);
comment on table private.sms_area_code_zones is 'NANP area codes with the IANA time zone of the whole code (single_zone), or marked spans_zones or non_geographic (no zone: the business''s zone is used). Source in the migration that seeds it. Read only by SQL.';

-- ---------------------------------------------------------------------------
-- Seed
-- ---------------------------------------------------------------------------

insert into private.sms_area_code_zones (area_code, country, region, time_zone, kind)
select area_code, country, region, time_zone, case when time_zone is null then 'spans_zones' else 'single_zone' end
from (values
  ('201', 'US', 'NJ', 'America/New_York'),
  ('202', 'US', 'DC', 'America/New_York'),
  ('203', 'US', 'CT', 'America/New_York'),
  ('204', 'CA', 'MB', 'America/Winnipeg'),
  ('205', 'US', 'AL', 'America/Chicago'),
  ('206', 'US', 'WA', 'America/Los_Angeles'),
  ('207', 'US', 'ME', 'America/New_York'),
  ('208', 'US', 'ID', null),
  ('209', 'US', 'CA', 'America/Los_Angeles'),
  ('210', 'US', 'TX', 'America/Chicago'),
  ('212', 'US', 'NY', 'America/New_York'),
  ('213', 'US', 'CA', 'America/Los_Angeles'),
  ('214', 'US', 'TX', 'America/Chicago'),
  ('215', 'US', 'PA', 'America/New_York'),
  ('216', 'US', 'OH', 'America/New_York'),
  ('217', 'US', 'IL', 'America/Chicago'),
  ('218', 'US', 'MN', 'America/Chicago'),
  ('219', 'US', 'IN', null),
  ('220', 'US', 'OH', 'America/New_York'),
  ('223', 'US', 'PA', 'America/New_York'),
  ('224', 'US', 'IL', 'America/Chicago'),
  ('225', 'US', 'LA', 'America/Chicago'),
  ('226', 'CA', 'ON', 'America/Toronto'),
  ('227', 'US', 'MD', 'America/New_York'),
  ('228', 'US', 'MS', 'America/Chicago'),
  ('229', 'US', 'GA', 'America/New_York'),
  ('231', 'US', 'MI', 'America/New_York'),
  ('234', 'US', 'OH', 'America/New_York'),
  ('235', 'US', 'MO', 'America/Chicago'),
  ('236', 'CA', 'BC', 'America/Vancouver'),
  ('239', 'US', 'FL', 'America/New_York'),
  ('240', 'US', 'MD', 'America/New_York'),
  ('248', 'US', 'MI', 'America/New_York'),
  ('249', 'CA', 'ON', 'America/Toronto'),
  ('250', 'CA', 'BC', null),
  ('251', 'US', 'AL', 'America/Chicago'),
  ('252', 'US', 'NC', 'America/New_York'),
  ('253', 'US', 'WA', 'America/Los_Angeles'),
  ('254', 'US', 'TX', 'America/Chicago'),
  ('256', 'US', 'AL', 'America/Chicago'),
  ('257', 'CA', 'BC', 'America/Vancouver'),
  ('260', 'US', 'IN', 'America/New_York'),
  ('262', 'US', 'WI', 'America/Chicago'),
  ('263', 'CA', 'QC', 'America/Toronto'),
  ('267', 'US', 'PA', 'America/New_York'),
  ('269', 'US', 'MI', 'America/New_York'),
  ('270', 'US', 'KY', null),
  ('272', 'US', 'PA', 'America/New_York'),
  ('274', 'US', 'WI', 'America/Chicago'),
  ('276', 'US', 'VA', 'America/New_York'),
  ('279', 'US', 'CA', 'America/Los_Angeles'),
  ('281', 'US', 'TX', 'America/Chicago'),
  ('283', 'US', 'OH', 'America/New_York'),
  ('289', 'CA', 'ON', 'America/Toronto'),
  ('301', 'US', 'MD', 'America/New_York'),
  ('302', 'US', 'DE', 'America/New_York'),
  ('303', 'US', 'CO', 'America/Denver'),
  ('304', 'US', 'WV', 'America/New_York'),
  ('305', 'US', 'FL', 'America/New_York'),
  ('306', 'CA', 'SK', 'America/Regina'),
  ('307', 'US', 'WY', 'America/Denver'),
  ('308', 'US', 'NE', null),
  ('309', 'US', 'IL', 'America/Chicago'),
  ('310', 'US', 'CA', 'America/Los_Angeles'),
  ('312', 'US', 'IL', 'America/Chicago'),
  ('313', 'US', 'MI', 'America/New_York'),
  ('314', 'US', 'MO', 'America/Chicago'),
  ('315', 'US', 'NY', 'America/New_York'),
  ('316', 'US', 'KS', 'America/Chicago'),
  ('317', 'US', 'IN', 'America/New_York'),
  ('318', 'US', 'LA', 'America/Chicago'),
  ('319', 'US', 'IA', 'America/Chicago'),
  ('320', 'US', 'MN', 'America/Chicago'),
  ('321', 'US', 'FL', 'America/New_York'),
  ('323', 'US', 'CA', 'America/Los_Angeles'),
  ('324', 'US', 'FL', 'America/New_York'),
  ('325', 'US', 'TX', 'America/Chicago'),
  ('326', 'US', 'OH', 'America/New_York'),
  ('327', 'US', 'AR', 'America/Chicago'),
  ('329', 'US', 'NY', 'America/New_York'),
  ('330', 'US', 'OH', 'America/New_York'),
  ('331', 'US', 'IL', 'America/Chicago'),
  ('332', 'US', 'NY', 'America/New_York'),
  ('334', 'US', 'AL', 'America/Chicago'),
  ('336', 'US', 'NC', 'America/New_York'),
  ('337', 'US', 'LA', 'America/Chicago'),
  ('339', 'US', 'MA', 'America/New_York'),
  ('340', 'US', 'VI', 'America/St_Thomas'),
  ('341', 'US', 'CA', 'America/Los_Angeles'),
  ('343', 'CA', 'ON', 'America/Toronto'),
  ('346', 'US', 'TX', 'America/Chicago'),
  ('347', 'US', 'NY', 'America/New_York'),
  ('350', 'US', 'CA', 'America/Los_Angeles'),
  ('351', 'US', 'MA', 'America/New_York'),
  ('352', 'US', 'FL', 'America/New_York'),
  ('353', 'US', 'WI', 'America/Chicago'),
  ('354', 'CA', 'QC', 'America/Toronto'),
  ('360', 'US', 'WA', 'America/Los_Angeles'),
  ('361', 'US', 'TX', 'America/Chicago'),
  ('363', 'US', 'NY', 'America/New_York'),
  ('364', 'US', 'KY', 'America/New_York'),
  ('365', 'CA', 'ON', 'America/Toronto'),
  ('367', 'CA', 'QC', 'America/Toronto'),
  ('368', 'CA', 'AB', 'America/Edmonton'),
  ('369', 'US', 'CA', 'America/Los_Angeles'),
  ('380', 'US', 'OH', 'America/New_York'),
  ('382', 'CA', 'ON', 'America/Toronto'),
  ('385', 'US', 'UT', 'America/Denver'),
  ('386', 'US', 'FL', 'America/New_York'),
  ('401', 'US', 'RI', 'America/New_York'),
  ('402', 'US', 'NE', 'America/Chicago'),
  ('403', 'CA', 'AB', 'America/Edmonton'),
  ('404', 'US', 'GA', 'America/New_York'),
  ('405', 'US', 'OK', 'America/Chicago'),
  ('406', 'US', 'MT', 'America/Denver'),
  ('407', 'US', 'FL', 'America/New_York'),
  ('408', 'US', 'CA', 'America/Los_Angeles'),
  ('409', 'US', 'TX', 'America/Chicago'),
  ('410', 'US', 'MD', 'America/New_York'),
  ('412', 'US', 'PA', 'America/New_York'),
  ('413', 'US', 'MA', 'America/New_York'),
  ('414', 'US', 'WI', 'America/Chicago'),
  ('415', 'US', 'CA', 'America/Los_Angeles'),
  ('416', 'CA', 'ON', 'America/Toronto'),
  ('417', 'US', 'MO', 'America/Chicago'),
  ('418', 'CA', 'QC', null),
  ('419', 'US', 'OH', 'America/New_York'),
  ('423', 'US', 'TN', null),
  ('424', 'US', 'CA', 'America/Los_Angeles'),
  ('425', 'US', 'WA', 'America/Los_Angeles'),
  ('428', 'CA', 'NB', 'America/Halifax'),
  ('430', 'US', 'TX', 'America/Chicago'),
  ('431', 'CA', 'MB', 'America/Winnipeg'),
  ('432', 'US', 'TX', 'America/Chicago'),
  ('434', 'US', 'VA', 'America/New_York'),
  ('435', 'US', 'UT', 'America/Denver'),
  ('437', 'CA', 'ON', 'America/Toronto'),
  ('438', 'CA', 'QC', 'America/Toronto'),
  ('440', 'US', 'OH', 'America/New_York'),
  ('442', 'US', 'CA', 'America/Los_Angeles'),
  ('443', 'US', 'MD', 'America/New_York'),
  ('445', 'US', 'PA', 'America/New_York'),
  ('447', 'US', 'IL', 'America/Chicago'),
  ('448', 'US', 'FL', 'America/New_York'),
  ('450', 'CA', 'QC', 'America/Toronto'),
  ('458', 'US', 'OR', 'America/Los_Angeles'),
  ('463', 'US', 'IN', 'America/New_York'),
  ('464', 'US', 'IL', 'America/Chicago'),
  ('468', 'CA', 'QC', 'America/Toronto'),
  ('469', 'US', 'TX', 'America/Chicago'),
  ('470', 'US', 'GA', 'America/New_York'),
  ('472', 'US', 'NC', 'America/New_York'),
  ('474', 'CA', 'SK', 'America/Winnipeg'),
  ('475', 'US', 'CT', 'America/New_York'),
  ('478', 'US', 'GA', 'America/New_York'),
  ('479', 'US', 'AR', 'America/Chicago'),
  ('480', 'US', 'AZ', 'America/Phoenix'),
  ('484', 'US', 'PA', 'America/New_York'),
  ('501', 'US', 'AR', 'America/Chicago'),
  ('502', 'US', 'KY', 'America/New_York'),
  ('503', 'US', 'OR', 'America/Los_Angeles'),
  ('504', 'US', 'LA', 'America/Chicago'),
  ('505', 'US', 'NM', 'America/Denver'),
  ('506', 'CA', 'NB', 'America/Halifax'),
  ('507', 'US', 'MN', 'America/Chicago'),
  ('508', 'US', 'MA', 'America/New_York'),
  ('509', 'US', 'WA', 'America/Los_Angeles'),
  ('510', 'US', 'CA', 'America/Los_Angeles'),
  ('512', 'US', 'TX', 'America/Chicago'),
  ('513', 'US', 'OH', 'America/New_York'),
  ('514', 'CA', 'QC', 'America/Toronto'),
  ('515', 'US', 'IA', 'America/Chicago'),
  ('516', 'US', 'NY', 'America/New_York'),
  ('517', 'US', 'MI', 'America/New_York'),
  ('518', 'US', 'NY', 'America/New_York'),
  ('519', 'CA', 'ON', 'America/Toronto'),
  ('520', 'US', 'AZ', 'America/Phoenix'),
  ('530', 'US', 'CA', 'America/Los_Angeles'),
  ('531', 'US', 'NE', 'America/Chicago'),
  ('534', 'US', 'WI', 'America/Chicago'),
  ('539', 'US', 'OK', 'America/Chicago'),
  ('540', 'US', 'VA', 'America/New_York'),
  ('541', 'US', 'OR', null),
  ('548', 'CA', 'ON', 'America/Toronto'),
  ('551', 'US', 'NJ', 'America/New_York'),
  ('557', 'US', 'MO', 'America/Chicago'),
  ('559', 'US', 'CA', 'America/Los_Angeles'),
  ('561', 'US', 'FL', 'America/New_York'),
  ('562', 'US', 'CA', 'America/Los_Angeles'),
  ('563', 'US', 'IA', 'America/Chicago'),
  ('564', 'US', 'WA', 'America/Los_Angeles'),
  ('567', 'US', 'OH', 'America/New_York'),
  ('570', 'US', 'PA', 'America/New_York'),
  ('571', 'US', 'VA', 'America/New_York'),
  ('572', 'US', 'OK', 'America/Chicago'),
  ('573', 'US', 'MO', 'America/Chicago'),
  ('574', 'US', 'IN', null),
  ('575', 'US', 'NM', 'America/Denver'),
  ('579', 'CA', 'QC', 'America/Toronto'),
  ('580', 'US', 'OK', 'America/Chicago'),
  ('581', 'CA', 'QC', 'America/Toronto'),
  ('582', 'US', 'PA', 'America/New_York'),
  ('584', 'CA', 'MB', 'America/Winnipeg'),
  ('585', 'US', 'NY', 'America/New_York'),
  ('586', 'US', 'MI', 'America/New_York'),
  ('587', 'CA', 'AB', 'America/Edmonton'),
  ('601', 'US', 'MS', 'America/Chicago'),
  ('602', 'US', 'AZ', 'America/Phoenix'),
  ('603', 'US', 'NH', 'America/New_York'),
  ('604', 'CA', 'BC', 'America/Vancouver'),
  ('605', 'US', 'SD', null),
  ('606', 'US', 'KY', null),
  ('607', 'US', 'NY', 'America/New_York'),
  ('608', 'US', 'WI', 'America/Chicago'),
  ('609', 'US', 'NJ', 'America/New_York'),
  ('610', 'US', 'PA', 'America/New_York'),
  ('612', 'US', 'MN', 'America/Chicago'),
  ('613', 'CA', 'ON', 'America/Toronto'),
  ('614', 'US', 'OH', 'America/New_York'),
  ('615', 'US', 'TN', 'America/Chicago'),
  ('616', 'US', 'MI', 'America/New_York'),
  ('617', 'US', 'MA', 'America/New_York'),
  ('618', 'US', 'IL', 'America/Chicago'),
  ('619', 'US', 'CA', 'America/Los_Angeles'),
  ('620', 'US', 'KS', null),
  ('623', 'US', 'AZ', 'America/Phoenix'),
  ('626', 'US', 'CA', 'America/Los_Angeles'),
  ('628', 'US', 'CA', 'America/Los_Angeles'),
  ('629', 'US', 'TN', 'America/Chicago'),
  ('630', 'US', 'IL', 'America/Chicago'),
  ('631', 'US', 'NY', 'America/New_York'),
  ('636', 'US', 'MO', 'America/Chicago'),
  ('639', 'CA', 'SK', 'America/Regina'),
  ('640', 'US', 'NJ', 'America/New_York'),
  ('641', 'US', 'IA', 'America/Chicago'),
  ('645', 'US', 'FL', 'America/New_York'),
  ('646', 'US', 'NY', 'America/New_York'),
  ('647', 'CA', 'ON', 'America/Toronto'),
  ('650', 'US', 'CA', 'America/Los_Angeles'),
  ('651', 'US', 'MN', 'America/Chicago'),
  ('656', 'US', 'FL', 'America/New_York'),
  ('657', 'US', 'CA', 'America/Los_Angeles'),
  ('659', 'US', 'AL', 'America/Chicago'),
  ('660', 'US', 'MO', 'America/Chicago'),
  ('661', 'US', 'CA', 'America/Los_Angeles'),
  ('662', 'US', 'MS', 'America/Chicago'),
  ('667', 'US', 'MD', 'America/New_York'),
  ('669', 'US', 'CA', 'America/Los_Angeles'),
  ('670', 'US', 'MP', 'Pacific/Saipan'),
  ('671', 'US', 'GU', 'Pacific/Guam'),
  ('672', 'CA', 'BC', 'America/Vancouver'),
  ('678', 'US', 'GA', 'America/New_York'),
  ('680', 'US', 'NY', 'America/New_York'),
  ('681', 'US', 'WV', 'America/New_York'),
  ('682', 'US', 'TX', 'America/Chicago'),
  ('683', 'CA', 'ON', 'America/Toronto'),
  ('684', 'US', 'AS', 'Pacific/Pago_Pago'),
  ('686', 'US', 'VA', 'America/New_York'),
  ('689', 'US', 'FL', 'America/Chicago'),
  ('701', 'US', 'ND', null),
  ('702', 'US', 'NV', 'America/Los_Angeles'),
  ('703', 'US', 'VA', 'America/New_York'),
  ('704', 'US', 'NC', 'America/New_York'),
  ('705', 'CA', 'ON', 'America/Toronto'),
  ('706', 'US', 'GA', 'America/New_York'),
  ('707', 'US', 'CA', 'America/Los_Angeles'),
  ('708', 'US', 'IL', 'America/Chicago'),
  ('709', 'CA', 'NL', null),
  ('712', 'US', 'IA', 'America/Chicago'),
  ('713', 'US', 'TX', 'America/Chicago'),
  ('714', 'US', 'CA', 'America/Los_Angeles'),
  ('715', 'US', 'WI', 'America/Chicago'),
  ('716', 'US', 'NY', 'America/New_York'),
  ('717', 'US', 'PA', 'America/New_York'),
  ('718', 'US', 'NY', 'America/New_York'),
  ('719', 'US', 'CO', 'America/Denver'),
  ('720', 'US', 'CO', 'America/Denver'),
  ('724', 'US', 'PA', 'America/New_York'),
  ('725', 'US', 'NV', 'America/Los_Angeles'),
  ('726', 'US', 'TX', 'America/Chicago'),
  ('727', 'US', 'FL', 'America/New_York'),
  ('728', 'US', 'FL', 'America/New_York'),
  ('730', 'US', 'IL', 'America/Chicago'),
  ('731', 'US', 'TN', 'America/Chicago'),
  ('732', 'US', 'NJ', 'America/New_York'),
  ('734', 'US', 'MI', 'America/New_York'),
  ('737', 'US', 'TX', 'America/Chicago'),
  ('738', 'US', 'CA', 'America/Los_Angeles'),
  ('740', 'US', 'OH', 'America/New_York'),
  ('742', 'CA', 'ON', 'America/Toronto'),
  ('743', 'US', 'NC', 'America/New_York'),
  ('747', 'US', 'CA', 'America/Los_Angeles'),
  ('748', 'US', 'CO', 'America/Denver'),
  ('753', 'CA', 'ON', 'America/Toronto'),
  ('754', 'US', 'FL', 'America/New_York'),
  ('757', 'US', 'VA', 'America/New_York'),
  ('760', 'US', 'CA', 'America/Los_Angeles'),
  ('762', 'US', 'GA', 'America/New_York'),
  ('763', 'US', 'MN', 'America/Chicago'),
  ('765', 'US', 'IN', 'America/New_York'),
  ('769', 'US', 'MS', 'America/Chicago'),
  ('770', 'US', 'GA', 'America/New_York'),
  ('771', 'US', 'DC', 'America/New_York'),
  ('772', 'US', 'FL', 'America/New_York'),
  ('773', 'US', 'IL', 'America/Chicago'),
  ('774', 'US', 'MA', 'America/New_York'),
  ('775', 'US', 'NV', null),
  ('778', 'CA', 'BC', 'America/Vancouver'),
  ('779', 'US', 'IL', 'America/Chicago'),
  ('780', 'CA', 'AB', 'America/Edmonton'),
  ('781', 'US', 'MA', 'America/New_York'),
  ('782', 'CA', 'NS/PE', 'America/Halifax'),
  ('785', 'US', 'KS', null),
  ('786', 'US', 'FL', 'America/New_York'),
  ('787', 'US', 'PR', 'America/Puerto_Rico'),
  ('801', 'US', 'UT', 'America/Denver'),
  ('802', 'US', 'VT', 'America/New_York'),
  ('803', 'US', 'SC', 'America/New_York'),
  ('804', 'US', 'VA', 'America/New_York'),
  ('805', 'US', 'CA', 'America/Los_Angeles'),
  ('806', 'US', 'TX', 'America/Chicago'),
  ('807', 'CA', 'ON', null),
  ('808', 'US', 'HI', 'Pacific/Honolulu'),
  ('810', 'US', 'MI', 'America/New_York'),
  ('812', 'US', 'IN', null),
  ('813', 'US', 'FL', 'America/New_York'),
  ('814', 'US', 'PA', 'America/New_York'),
  ('815', 'US', 'IL', 'America/Chicago'),
  ('816', 'US', 'MO', 'America/Chicago'),
  ('817', 'US', 'TX', 'America/Chicago'),
  ('818', 'US', 'CA', 'America/Los_Angeles'),
  ('819', 'CA', 'QC', 'America/Toronto'),
  ('820', 'US', 'CA', 'America/Los_Angeles'),
  ('821', 'US', 'SC', 'America/New_York'),
  ('825', 'CA', 'AB', 'America/Edmonton'),
  ('826', 'US', 'VA', 'America/New_York'),
  ('828', 'US', 'NC', 'America/New_York'),
  ('830', 'US', 'TX', 'America/Chicago'),
  ('831', 'US', 'CA', 'America/Los_Angeles'),
  ('832', 'US', 'TX', 'America/Chicago'),
  ('835', 'US', 'PA', 'America/New_York'),
  ('838', 'US', 'NY', 'America/New_York'),
  ('839', 'US', 'SC', 'America/New_York'),
  ('840', 'US', 'CA', 'America/Los_Angeles'),
  ('843', 'US', 'SC', 'America/New_York'),
  ('845', 'US', 'NY', 'America/New_York'),
  ('847', 'US', 'IL', 'America/Chicago'),
  ('848', 'US', 'NJ', 'America/New_York'),
  ('850', 'US', 'FL', null),
  ('854', 'US', 'SC', 'America/New_York'),
  ('856', 'US', 'NJ', 'America/New_York'),
  ('857', 'US', 'MA', 'America/New_York'),
  ('858', 'US', 'CA', 'America/Los_Angeles'),
  ('859', 'US', 'KY', 'America/New_York'),
  ('860', 'US', 'CT', 'America/New_York'),
  ('862', 'US', 'NJ', 'America/New_York'),
  ('863', 'US', 'FL', 'America/New_York'),
  ('864', 'US', 'SC', 'America/New_York'),
  ('865', 'US', 'TN', 'America/New_York'),
  ('867', 'CA', 'NT/NU/YT', null),
  ('870', 'US', 'AR', 'America/Chicago'),
  ('872', 'US', 'IL', 'America/Chicago'),
  ('873', 'CA', 'QC', 'America/Toronto'),
  ('878', 'US', 'PA', 'America/New_York'),
  ('879', 'CA', 'NL', null),
  ('901', 'US', 'TN', 'America/Chicago'),
  ('902', 'CA', 'NS/PE', 'America/Halifax'),
  ('903', 'US', 'TX', 'America/Chicago'),
  ('904', 'US', 'FL', 'America/New_York'),
  ('905', 'CA', 'ON', 'America/Toronto'),
  ('906', 'US', 'MI', null),
  ('907', 'US', 'AK', null),
  ('908', 'US', 'NJ', 'America/New_York'),
  ('909', 'US', 'CA', 'America/Los_Angeles'),
  ('910', 'US', 'NC', 'America/New_York'),
  ('912', 'US', 'GA', 'America/New_York'),
  ('913', 'US', 'KS', 'America/Chicago'),
  ('914', 'US', 'NY', 'America/New_York'),
  ('915', 'US', 'TX', 'America/Denver'),
  ('916', 'US', 'CA', 'America/Los_Angeles'),
  ('917', 'US', 'NY', 'America/New_York'),
  ('918', 'US', 'OK', 'America/Chicago'),
  ('919', 'US', 'NC', 'America/New_York'),
  ('920', 'US', 'WI', 'America/Chicago'),
  ('925', 'US', 'CA', 'America/Los_Angeles'),
  ('928', 'US', 'AZ', null),
  ('929', 'US', 'NY', 'America/New_York'),
  ('930', 'US', 'IN', 'America/New_York'),
  ('931', 'US', 'TN', 'America/Chicago'),
  ('934', 'US', 'NY', 'America/New_York'),
  ('936', 'US', 'TX', 'America/Chicago'),
  ('937', 'US', 'OH', 'America/New_York'),
  ('938', 'US', 'AL', 'America/Chicago'),
  ('939', 'US', 'PR', 'America/Puerto_Rico'),
  ('940', 'US', 'TX', 'America/Chicago'),
  ('941', 'US', 'FL', 'America/New_York'),
  ('942', 'CA', 'ON', 'America/Toronto'),
  ('943', 'US', 'GA', 'America/New_York'),
  ('945', 'US', 'TX', 'America/Chicago'),
  ('947', 'US', 'MI', 'America/New_York'),
  ('948', 'US', 'VA', 'America/New_York'),
  ('949', 'US', 'CA', 'America/Los_Angeles'),
  ('951', 'US', 'CA', 'America/Los_Angeles'),
  ('952', 'US', 'MN', 'America/Chicago'),
  ('954', 'US', 'FL', 'America/New_York'),
  ('956', 'US', 'TX', 'America/Chicago'),
  ('959', 'US', 'CT', 'America/New_York'),
  ('970', 'US', 'CO', 'America/Denver'),
  ('971', 'US', 'OR', 'America/Los_Angeles'),
  ('972', 'US', 'TX', 'America/Chicago'),
  ('973', 'US', 'NJ', 'America/New_York'),
  ('975', 'US', 'MO', 'America/Chicago'),
  ('978', 'US', 'MA', 'America/New_York'),
  ('979', 'US', 'TX', 'America/Chicago'),
  ('980', 'US', 'NC', 'America/New_York'),
  ('983', 'US', 'CO', 'America/Denver'),
  ('984', 'US', 'NC', 'America/New_York'),
  ('985', 'US', 'LA', 'America/Chicago'),
  ('986', 'US', 'ID', null),
  ('989', 'US', 'MI', 'America/New_York')
) geographic (area_code, country, region, time_zone);

insert into private.sms_area_code_zones (area_code, kind)
select code, 'non_geographic'
from unnest(array[
  '500', '521', '522', '523', '524', '525', '526', '527', '528', '533', '544', '566', '577', '588',
  '600', '622', '700', '710', '800', '833', '844', '855', '866', '877', '888', '900'
]) code;

-- ---------------------------------------------------------------------------
-- Lookup
-- ---------------------------------------------------------------------------

create function private.sms_recipient_time_zone(phone text, business_time_zone text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select z.time_zone from private.sms_area_code_zones z
     where phone ~ '^\+1[2-9][0-9]{9}$' and z.area_code = substr(phone, 3, 3)),
    business_time_zone)
$$;
comment on function private.sms_recipient_time_zone(text, text) is 'The time zone of the recipient of a text: the zone of their NANP number''s area code when the whole code is in one zone, else business_time_zone (non-NANP, toll-free, a code that spans zones or is not in private.sms_area_code_zones).';

-- ---------------------------------------------------------------------------
-- The quiet-hours rule in the recipient's zone
-- ---------------------------------------------------------------------------

create function private.time_zone_or_eastern(zone text)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  -- Asking Postgres for the time there is what checks the zone: a lookup in pg_timezone_names
  -- reads every zone file, a tenth of a second each time.
  perform now() at time zone zone;
  return coalesce(zone, 'America/New_York');
exception when invalid_parameter_value then
  return 'America/New_York';
end
$$;
comment on function private.time_zone_or_eastern(text) is 'zone when Postgres knows it, else America/New_York (the fallback of the SMS rules for a zone that cannot be used).';

create or replace function private.sms_quiet_hours(time_zone text, at timestamptz default now())
returns boolean
language sql
stable
set search_path = ''
as $$
  -- TCPA: solicitations only from 8 am to 9 pm where the recipient is (private.sms_quiet_for
  -- finds that zone); a zone Postgres does not know counts as Eastern.
  select extract(hour from at at time zone private.time_zone_or_eastern(time_zone)) not between 8 and 20
$$;

create function private.sms_quiet_for(recipient text, business_time_zone text, at timestamptz default now())
returns boolean
language sql
stable
security definer
set search_path = ''
as $$ select private.sms_quiet_hours(private.sms_recipient_time_zone(recipient, business_time_zone), at) $$;
comment on function private.sms_quiet_for(text, text, timestamptz) is 'Whether at is in the quiet hours (before 8 am or from 9 pm on) of recipient: in their area code''s zone, or business_time_zone when the code gives none.';

revoke all on private.sms_area_code_zones from public, anon, authenticated, service_role;
revoke execute on function
  private.time_zone_or_eastern(text), private.sms_recipient_time_zone(text, text), private.sms_quiet_hours(text, timestamptz), private.sms_quiet_for(text, text, timestamptz)
from public, anon, authenticated;
