-- Library prepended to the scripts that write board members (LuaScript(..., library=)):
-- Redis scripts cannot include one another, so the one tie rule lives here once.
-- tie_of: a tie is TIE_MAX - seq in 11 base-32 digits (0-9a-v sort like their values): see encoding.py.
local function tie_of(seq, tie_max)
  local v, digits = tie_max - seq, {}
  for i = 11, 1, -1 do
    local d = v % 32
    digits[i] = string.sub('0123456789abcdefghijklmnopqrstuv', d + 1, d + 1)
    v = (v - d) / 32
  end
  return table.concat(digits)
end
