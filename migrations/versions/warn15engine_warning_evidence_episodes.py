"""warnings follow their evidence: minimum evidence per rule, withdrawal, episodes

A rule states the least evidence a value needs before it raises anything (`min_evidence`).
A warning whose records were reversed or corrected is withdrawn (`withdrawn_at`, the reason),
and its pushes still due are cancelled (`push_delivery.state` grows to hold "cancelled").
A relapse after a resolve opens a new episode linked to the earlier one: the unique key
(student, rule, term) becomes (student, rule, term, episode).

Revision ID: warn15engine
Revises: lang01userlanguage
Create Date: 2026-12-02 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'warn15engine'
down_revision = 'lang01userlanguage'
branch_labels = None
depends_on = None

MIN_EVIDENCE = '{"sessions": 12, "days": 14, "values": 1}'


def upgrade():
    with op.batch_alter_table('warning_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_evidence', sa.JSON(), nullable=False, server_default=MIN_EVIDENCE))
    with op.batch_alter_table('student_warning', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('episode', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_student_warning_previous_id_student_warning'),
                                    'student_warning', ['previous_id'], ['id'])
        batch_op.drop_constraint('uq_student_warning_student_id_rule_id_term_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_student_warning_student_id_rule_id_term_id_episode'),
                                          ['student_id', 'rule_id', 'term_id', 'episode'])
    with op.batch_alter_table('push_delivery', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=8), type_=sa.String(length=16),
                              existing_nullable=False)


def downgrade():
    op.execute(sa.text("UPDATE push_delivery SET state = 'failed' WHERE state = 'cancelled'"))
    with op.batch_alter_table('push_delivery', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=16), type_=sa.String(length=8),
                              existing_nullable=False)
    # Later episodes cannot fit the old one-per-term key: keep the first of each.
    op.execute(sa.text("DELETE FROM warning_event WHERE warning_id IN (SELECT id FROM student_warning WHERE episode > 1)"))
    op.execute(sa.text("UPDATE notification SET warning_id = NULL WHERE warning_id IN "
                       "(SELECT id FROM student_warning WHERE episode > 1)"))
    op.execute(sa.text("DELETE FROM student_warning WHERE episode > 1"))
    with op.batch_alter_table('student_warning', schema=None) as batch_op:
        batch_op.drop_constraint('uq_student_warning_student_id_rule_id_term_id_episode', type_='unique')
        batch_op.create_unique_constraint('uq_student_warning_student_id_rule_id_term_id',
                                          ['student_id', 'rule_id', 'term_id'])
        batch_op.drop_constraint('fk_student_warning_previous_id_student_warning', type_='foreignkey')
        batch_op.drop_column('previous_id')
        batch_op.drop_column('episode')
        batch_op.drop_column('cleared_at')
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('warning_rule', schema=None) as batch_op:
        batch_op.drop_column('min_evidence')
