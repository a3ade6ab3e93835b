-- Whether the version s of the state at as_of is a closed one (valid_to after the date: none at
-- the newest date), read as a range of ix_case_history_closed_state.
s.valid_to > :as_of
