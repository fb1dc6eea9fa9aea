-- Demo data for the embedded quick start: departments of 密云区 (Miyun District, Beijing).
-- Idempotent; loaded by `mailbox serve` when it runs its own PostgreSQL (DATABASE_URL unset)
-- and by `mailbox demo-data`.
INSERT INTO departments (id, name, kind) VALUES
    ('gov-office',        '区政府办公室',          'bureau'),
    ('development-reform','区发展改革委',          'bureau'),
    ('education',         '区教委',                'bureau'),
    ('public-security',   '密云公安分局',          'bureau'),
    ('civil-affairs',     '区民政局',              'bureau'),
    ('human-resources',   '区人力资源社会保障局',  'bureau'),
    ('planning',          '密云规划分局',          'bureau'),
    ('ecology',           '密云生态环境局',        'bureau'),
    ('housing',           '区住房城乡建设委',      'bureau'),
    ('urban-management',  '区城市管理委',          'bureau'),
    ('transport',         '区交通局',              'bureau'),
    ('water',             '区水务局',              'bureau'),
    ('agriculture',       '区农业农村局',          'bureau'),
    ('health',            '区卫生健康委',          'bureau'),
    ('market-regulation', '区市场监管局',          'bureau'),
    ('gulou',             '鼓楼街道',              'town'),
    ('guoyuan',           '果园街道',              'town'),
    ('xitiangezhuang',    '西田各庄镇',            'town'),
    ('shilipu',           '十里堡镇',              'town'),
    ('henanzhai',         '河南寨镇',              'town'),
    ('mujiayu',           '穆家峪镇',              'town'),
    ('taishitun',         '太师屯镇',              'town'),
    ('gubeikou',          '古北口镇',              'town'),
    ('bulaotun',          '不老屯镇',              'town'),
    ('xiwengzhuang',      '溪翁庄镇',              'town')
ON CONFLICT (id) DO NOTHING;
