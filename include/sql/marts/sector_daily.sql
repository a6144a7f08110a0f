select * rename (group_name as sector)
from core.group_moves('sector', $start, $end)
