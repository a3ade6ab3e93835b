-- Whether the version s of the state at as_of is a closed one (valid_to after the date: none at
-- the newest date). SQLite is told the range is a narrow one, or it reads every version of the
-- district (by the primary key) instead of the range of ix_case_history_closed_state.
likelihood(s.valid_to > :as_of, 0.001)
