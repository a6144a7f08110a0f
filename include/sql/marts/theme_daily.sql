select * rename (group_name as theme)
from core.group_moves('theme', $start, $end)
